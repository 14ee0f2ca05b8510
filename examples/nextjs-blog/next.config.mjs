/** @type {import('next').NextConfig} */
const nextConfig = {
  // A static site: `next build` writes plain HTML to out/.
  output: 'export',
  // Images are served by the CDN behind R2 (r2filter rewrote their URLs), so
  // Next's image optimizer and its remote-host allow-list are not needed.
  images: { unoptimized: true },
};

export default nextConfig;
