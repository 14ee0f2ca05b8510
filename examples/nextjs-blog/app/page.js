import Link from 'next/link';
import MdxImage from '../components/mdx-image';
import { post, slugs } from '../lib/posts';

export default function Home() {
  return (
    <main>
      <h1>Posts</h1>
      <ul>
        {slugs().map((slug) => {
          const { data } = post(slug);
          return (
            <li key={slug}>
              {data.thumbnail && <MdxImage src={data.thumbnail} alt="" width={64} />}{' '}
              <Link href={`/posts/${slug}`}>{data.title}</Link>
            </li>
          );
        })}
      </ul>
    </main>
  );
}
