// The JavaScript oracles of tests/testsuite/frontmatter.rs: js-yaml 3 (what
// gray-matter, so most Next.js blogs, reads front matter with) and yaml 2
// (hexo-front-matter's). For each file named on the command line, finds the
// front matter the way the README says (a BOM and blank lines may come first;
// `---` … `---` or `...`), parses it with each, and prints one JSON line:
// {"file", "format", "js-yaml": {"data"} | {"error"}, "yaml": …}.
// Nothing of r2filter is used. Run with NODE_PATH pointing at the folder that
// holds js-yaml and yaml (.ci/run installs them under /opt/r2filter-oracle).
'use strict';
const fs = require('fs');
const jsyaml = require('js-yaml');
const YAML = require('yaml');

function extract(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  const trim = (l) => l.replace(/[ \t\r]+$/, '');
  let i = 0;
  while (i < lines.length - 1 && trim(lines[i]) === '') i++;
  const open = trim(lines[i]);
  const format = open === '---' ? 'yaml' : open === '+++' ? 'toml' : null;
  if (format === null) return null;
  for (let j = i + 1; j < lines.length; j++) {
    const l = trim(lines[j]);
    if (format === 'yaml' ? l === '---' || l === '...' : l === '+++') {
      const body = lines.slice(i + 1, j);
      return { format, body: body.length ? body.join('\n') + '\n' : '' };
    }
  }
  return null;
}

function attempt(parse) {
  try {
    const data = parse();
    return { data: data === undefined ? null : data };
  } catch (e) {
    return { error: String(e && e.message).split('\n')[0] };
  }
}

for (const file of process.argv.slice(2)) {
  const fm = extract(fs.readFileSync(file, 'utf8'));
  const out = { file, format: fm ? fm.format : null };
  if (fm && fm.format === 'yaml') {
    out['js-yaml'] = attempt(() => jsyaml.load(fm.body));
    out['yaml'] = attempt(() => YAML.parse(fm.body));
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
