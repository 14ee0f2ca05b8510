import { MDXRemote } from 'next-mdx-remote/rsc';
import { post, slugs } from '../../../lib/posts';

export const dynamicParams = false;

export function generateStaticParams() {
  return slugs().map((slug) => ({ slug }));
}

// MDX posts may use <Image src="…" width={…} />: a plain <img>, since the
// source is already a CDN URL.
const components = {
  Image: (props) => <img {...props} />,
};

export default async function Post({ params }) {
  const { slug } = await params;
  const { data, content, format } = post(slug);
  return (
    <article>
      {data.cover && <img src={data.cover} alt="" width={720} />}
      <h1>{data.title}</h1>
      {data.author && (
        <p>
          {data.author.avatar && <img src={data.author.avatar} alt="" width={32} />} {data.author.name}
        </p>
      )}
      <MDXRemote
        source={content}
        components={components}
        // Our own posts: JSX expressions like width={320} are trusted.
        options={{ blockJS: false, mdxOptions: { format } }}
      />
    </article>
  );
}
