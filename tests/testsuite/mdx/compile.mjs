// The MDX oracle of tests/testsuite/mdx.rs: the real compiler, @mdx-js/mdx 3,
// set up as a Next.js site sets it up (remark-frontmatter for YAML and TOML,
// remark-gfm). Nothing of r2filter is used. A `.md` FILE is compiled as
// Markdown (`format: 'md'`, how next-mdx-remote and @next/mdx render `.md`),
// with rehype-raw, so that the images of its raw HTML are loaded too (without
// rehype-raw, raw HTML is dropped).
//
// Usage: node compile.mjs ORACLE_DIR FILE...  (ORACLE_DIR holds node_modules
// with @mdx-js/mdx, remark-frontmatter, remark-gfm, rehype-raw and acorn;
// .ci/run installs them under /opt/r2filter-oracle/mdx.)
//
// For each FILE, prints one JSON line:
//   {"file", "error"}                         the compiler rejects it, or
//   {"file", "props": [{element, key, value}], "sizes": [{element, src, width, height}], "skeleton"}
// where `props` are the string-valued props of every JSX call of the
// compiled program (`_jsx(X, {key: "value"})`, `_jsxs`, also inside
// expressions and ESM), in program order, `sizes` the string `src` and the
// `width` and `height` (a literal, or null) of every `img` and `Image` call, in
// program order, and `skeleton` is the program's syntax tree (acorn,
// positions and raw text dropped) with each string prop value replaced by its
// index and the literal `width`/`height` props of `img`/`Image` left out (the
// test compares them through `sizes`: `dimensions = true` may add exactly
// those; rehype-raw gives raw HTML's as strings, JSX's are numbers). Two documents whose skeletons are equal compile to the same
// program but for those values.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [oracle, ...files] = process.argv.slice(2);
const load = (name, entry) =>
  import(pathToFileURL(path.join(oracle, 'node_modules', name, entry)).href);
const { compile, nodeTypes } = await load('@mdx-js/mdx', 'index.js');
const remarkFrontmatter = (await load('remark-frontmatter', 'index.js')).default;
const remarkGfm = (await load('remark-gfm', 'index.js')).default;
const rehypeRaw = (await load('rehype-raw', 'index.js')).default;
const acorn = await load('acorn', 'dist/acorn.mjs');

const JSX = new Set(['_jsx', '_jsxs', '_jsxDEV']);

// The element a JSX call makes: "img" for `"img"` and `_components.img`, the
// component's name otherwise.
function element(node) {
  if (!node) return null;
  if (node.type === 'Literal') return String(node.value);
  if (node.type === 'Identifier') return node.name;
  if (node.type === 'MemberExpression' && !node.computed) return node.property.name;
  return null;
}

// A prop's string value: a string literal or a template literal without
// `${}`; null for anything else.
function stringValue(node) {
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) {
    return node.quasis[0].value.cooked;
  }
  return null;
}

// The `width` or `height` property of a call's props, if a literal.
function sizeOf(props, key) {
  const p = props.find(
    (p) => p.type === 'Property' && !p.computed && (p.key.name ?? p.key.value) === key,
  );
  return p && p.value.type === 'Literal' ? p.value.value : null;
}

function walk(node, props, sizes) {
  if (Array.isArray(node)) return node.map((n) => walk(n, props, sizes));
  if (node === null || typeof node !== 'object') return node;
  if (
    node.type === 'CallExpression' &&
    node.callee.type === 'Identifier' &&
    JSX.has(node.callee.name) &&
    node.arguments[1] &&
    node.arguments[1].type === 'ObjectExpression'
  ) {
    const el = element(node.arguments[0]);
    if (el === 'img' || el === 'Image') {
      const all = node.arguments[1].properties;
      const src = all.find(
        (p) => p.type === 'Property' && !p.computed && (p.key.name ?? p.key.value) === 'src',
      );
      sizes.push({
        element: el,
        src: src ? stringValue(src.value) : null,
        width: sizeOf(all, 'width'),
        height: sizeOf(all, 'height'),
      });
      node.arguments[1].properties = all.filter(
        (p) =>
          !(
            p.type === 'Property' &&
            !p.computed &&
            ['width', 'height'].includes(p.key.name ?? p.key.value) &&
            p.value.type === 'Literal'
          ),
      );
    }
    for (const p of node.arguments[1].properties) {
      if (p.type !== 'Property' || p.computed) continue;
      const key = p.key.type === 'Identifier' ? p.key.name : String(p.key.value);
      const value = stringValue(p.value);
      if (value === null) continue;
      p.value = { type: 'Prop', index: props.length };
      props.push({ element: el, key, value });
    }
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'start' || k === 'end' || k === 'raw' || k === 'loc' || k === 'range') continue;
    out[k] = walk(v, props, sizes);
  }
  return out;
}

for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  let code;
  try {
    code = String(
      await compile(text, {
        remarkPlugins: [[remarkFrontmatter, ['yaml', 'toml']], remarkGfm],
        ...(file.endsWith('.md')
          ? { format: 'md', rehypePlugins: [[rehypeRaw, { passThrough: nodeTypes }]] }
          : { format: 'mdx' }),
      }),
    );
  } catch (e) {
    const error = String((e && e.message) || e).split('\n')[0];
    process.stdout.write(JSON.stringify({ file, error }) + '\n');
    continue;
  }
  const tree = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'module' });
  const props = [];
  const sizes = [];
  const skeleton = JSON.stringify(walk(tree, props, sizes));
  process.stdout.write(JSON.stringify({ file, props, sizes, skeleton }) + '\n');
}
