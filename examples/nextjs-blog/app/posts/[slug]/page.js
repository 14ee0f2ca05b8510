import { MDXRemote } from 'next-mdx-remote/rsc';
import MdxImage from '../../../components/mdx-image';
import { post, slugs } from '../../../lib/posts';

export const dynamicParams = false;

export function generateStaticParams() {
  return slugs().map((slug) => ({ slug }));
}

// Markdown images, and <img>/<Image> in MDX, through next/image with the
// width, height and blurred placeholder of r2filter's images index
// (`r2filter init --nextjs` prints this component).
const components = {
  img: MdxImage,
  Image: MdxImage,
};

export default async function Post({ params }) {
  const { slug } = await params;
  const { data, content, format } = post(slug);
  return (
    <article>
      {data.cover && <MdxImage src={data.cover} alt="" width={720} />}
      <h1>{data.title}</h1>
      {data.author && (
        <p>
          {data.author.avatar && <MdxImage src={data.author.avatar} alt="" width={32} />} {data.author.name}
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
