// The MDX oracle of tests/testsuite/mdx.rs: the real compiler, @mdx-js/mdx 3,
// set up as the site that wrote the documents sets it up. Nothing of r2filter
// is used.
//
// Without --site: as a Next.js site with next-mdx-remote or @next/mdx sets it
// up (remark-frontmatter for YAML and TOML, remark-gfm). With --site FILE: the
// remark plugins that FILE (a site.json beside a corpus) lists, in order, as
// the site's own configuration lists them (tailwind-nextjs-starter-blog:
// contentlayer.config.ts, after mdx-bundler's own two). A `.md` FILE is
// compiled as Markdown (`format: 'md'`, how next-mdx-remote and @next/mdx
// render `.md`), with rehype-raw, so that the images of its raw HTML are
// loaded too (without rehype-raw, raw HTML is dropped).
//
// Usage: node compile.mjs ORACLE_DIR [--site SITE_JSON] [--cwd DIR] FILE...
// (ORACLE_DIR holds node_modules with @mdx-js/mdx, the plugins, rehype-raw
// and acorn; .ci/run installs them under /opt/r2filter-oracle/mdx.) The
// compiler runs in DIR (a plugin such as pliny's remarkImgToJsx reads
// `public/` there, as the site's build does in its own folder).
//
// For each FILE, prints one JSON line:
//   {"file", "error"}                         the compiler rejects it, or
//   {"file", "props": [{element, key, value}], "skeleton", "converted"}
// where `props` are the string-valued props of every JSX call of the
// compiled program (`_jsx(X, {key: "value"})`, `_jsxs`, also inside
// expressions and ESM), and the strings of the exported front matter
// (element "frontmatter", key: the front-matter key), in program order, and
// `skeleton` is the program's syntax tree (acorn, positions and raw text
// dropped) with each of those values replaced by its index. Two documents
// whose skeletons are equal compile to the same program but for those
// values. `converted`: the images a plugin marked `"records"` in site.json
// turned into JSX (pliny's remarkImgToJsx: `![a](/x.png)` becomes
// `<Image src width height>` when public/x.png is on disk); each is turned
// back into the image it was, so that the skeleton compares the rest, and
// listed by its URL.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const oracle = args.shift();
let siteFile = null;
let cwd = null;
while (args[0] === '--site' || args[0] === '--cwd') {
  const flag = args.shift();
  if (flag === '--site') siteFile = args.shift();
  else cwd = args.shift();
}
const files = args;
const modules = path.join(oracle, 'node_modules');

// A package's ESM entry (its `exports['.']`, else `main`, else index.js),
// or `subpath` inside it.
function entry(pkg, subpath) {
  if (subpath) return path.join(modules, pkg, subpath);
  const meta = JSON.parse(fs.readFileSync(path.join(modules, pkg, 'package.json'), 'utf8'));
  let e = meta.exports;
  if (e && typeof e === 'object' && '.' in e) e = e['.'];
  if (e && typeof e === 'object') e = e.import || e.default;
  if (typeof e === 'object' && e) e = e.default;
  return path.join(modules, pkg, e || meta.main || 'index.js');
}
const load = async (pkg, subpath) => import(pathToFileURL(entry(pkg, subpath)).href);
const { compile, nodeTypes } = await load('@mdx-js/mdx');
const rehypeRaw = (await load('rehype-raw')).default;
const acorn = await load('acorn', 'dist/acorn.mjs');

const site = siteFile ? JSON.parse(fs.readFileSync(siteFile, 'utf8')) : null;
// Images a recording plugin turned into JSX, for the file being compiled.
let converted = [];

// `plugin`, whose conversions of image nodes into JSX are undone and listed
// in `converted` (see the header).
function recording(plugin) {
  return function (...options) {
    const transform = plugin.apply(this, options);
    return (tree, file) => {
      const images = [];
      const paragraphs = [];
      const visit = (node) => {
        if (node.type === 'image') images.push(node);
        if (node.type === 'paragraph' && node.children.some((c) => c.type === 'image')) {
          paragraphs.push(node);
        }
        for (const c of node.children || []) visit(c);
      };
      visit(tree);
      transform(tree, file);
      for (const node of images) {
        if (node.type !== 'image') {
          converted.push(node.url);
          node.type = 'image';
          delete node.name;
          delete node.attributes;
        }
      }
      for (const node of paragraphs) node.type = 'paragraph';
    };
  };
}

let remarkPlugins;
if (site) {
  remarkPlugins = [];
  for (const p of site.remarkPlugins) {
    let plugin = (await load(p.package, p.subpath))[p.export || 'default'];
    if (typeof plugin !== 'function') throw new Error(`${p.package}: no plugin ${p.export}`);
    if (p.records) plugin = recording(plugin);
    remarkPlugins.push(p.options ? [plugin, p.options] : plugin);
  }
} else {
  const remarkFrontmatter = (await load('remark-frontmatter')).default;
  const remarkGfm = (await load('remark-gfm')).default;
  remarkPlugins = [[remarkFrontmatter, ['yaml', 'toml']], remarkGfm];
}
// The names the front matter is exported under (remark-mdx-frontmatter).
const exported = new Set((site && site.frontmatterExports) || []);
if (cwd) process.chdir(cwd);

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

// The strings of an exported front matter object, each with the key it is
// under (the nearest property's).
function frontmatter(node, key, props) {
  if (Array.isArray(node)) return node.map((n) => frontmatter(n, key, props));
  if (node === null || typeof node !== 'object') return node;
  if (node.type === 'Literal' && typeof node.value === 'string') {
    props.push({ element: 'frontmatter', key, value: node.value });
    return { type: 'Prop', index: props.length - 1 };
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'start' || k === 'end' || k === 'raw' || k === 'loc' || k === 'range') continue;
    if (node.type === 'Property' && k === 'key') {
      out[k] = v.type === 'Identifier' ? v.name : String(v.value);
      continue;
    }
    const under = node.type === 'Property' && k === 'value'
      ? (node.key.type === 'Identifier' ? node.key.name : String(node.key.value))
      : key;
    out[k] = frontmatter(v, under, props);
  }
  return out;
}

function walk(node, props) {
  if (Array.isArray(node)) return node.map((n) => walk(n, props));
  if (node === null || typeof node !== 'object') return node;
  if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier' && exported.has(node.id.name)) {
    return { type: 'FrontMatter', name: node.id.name, init: frontmatter(node.init, null, props) };
  }
  if (
    node.type === 'CallExpression' &&
    node.callee.type === 'Identifier' &&
    JSX.has(node.callee.name) &&
    node.arguments[1] &&
    node.arguments[1].type === 'ObjectExpression'
  ) {
    const el = element(node.arguments[0]);
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
    out[k] = walk(v, props);
  }
  return out;
}

for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  converted = [];
  let code;
  try {
    code = String(
      await compile(text, {
        remarkPlugins,
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
  const skeleton = JSON.stringify(walk(tree, props));
  process.stdout.write(JSON.stringify({ file, props, skeleton, converted }) + '\n');
}
