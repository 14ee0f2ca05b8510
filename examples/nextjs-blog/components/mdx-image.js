// An MDX image component for Next.js: Markdown images (![alt](url)) and
// <img>/<Image> in MDX become next/image, with the width, height and blurred
// placeholder that r2filter recorded for the URL in its images index
// (images-index = "public/r2filter-images.json", placeholder = "blur").
// Map it in your MDX components: { img: MdxImage, Image: MdxImage }.
import Image from 'next/image';
import images from '../public/r2filter-images.json';

export default function MdxImage({ src, alt = '', width, height, ...props }) {
  const info = typeof src === 'string' ? images[src.split(/[?#]/)[0]] : undefined;
  if (!info || !info.width || !info.height) {
    // Not in the index (not published by r2filter, or no size): as written.
    // eslint-disable-next-line @next/next/no-img-element
    return <img src={src} alt={alt} width={width} height={height} {...props} />;
  }
  // One of width and height given: the other keeps the image's proportions.
  const w = Number(width) || (Number(height) ? Math.round((Number(height) * info.width) / info.height) : info.width);
  const h = Number(height) || Math.round((w * info.height) / info.width);
  const blur = info.placeholder ? { placeholder: 'blur', blurDataURL: info.placeholder } : {};
  return <Image src={src} alt={alt} width={w} height={h} {...blur} {...props} />;
}
