// No next/font: a build must not fetch anything from the internet.
export const metadata = { title: 'An r2filter blog' };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 720, margin: '2rem auto' }}>
        {children}
      </body>
    </html>
  );
}
