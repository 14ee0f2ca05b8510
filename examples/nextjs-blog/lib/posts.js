// Reads the posts at build time. r2filter's prebuild has already rewritten
// every local image in them (Markdown, JSX props and front matter) to its
// public URL, so nothing here knows about image storage.
import fs from 'node:fs';
import path from 'node:path';
import matter from 'gray-matter';

const POSTS = path.join(process.cwd(), 'content', 'posts');

export function slugs() {
  return fs
    .readdirSync(POSTS)
    .filter((f) => /\.mdx?$/.test(f))
    .map((f) => f.replace(/\.mdx?$/, ''))
    .sort();
}

export function post(slug) {
  const file = ['md', 'mdx']
    .map((ext) => path.join(POSTS, `${slug}.${ext}`))
    .find((f) => fs.existsSync(f));
  const { data, content } = matter(fs.readFileSync(file, 'utf8'));
  return { slug, format: file.endsWith('.mdx') ? 'mdx' : 'md', data, content };
}
