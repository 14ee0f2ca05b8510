//! `--help` examples, one constant per entry, so each subcommand shows its own
//! and the top-level help shows one of each. A new entry adds its constant
//! here and a line or two to [`MAIN`].

/// `r2filter --help`: one example per entry.
pub const MAIN: &str = "\
Examples:
  # Start here: a commented r2filter.toml to fill in
  r2filter init

  # Filter one document (settings from ./r2filter.toml)
  r2filter < post.md > out.md

  # Try it without an account: objects go to a local folder
  r2filter --local-store /tmp/bucket --public-url https://assets.example.com < post.md

  # Cloudflare R2 (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
  r2filter --account-id $CF_ACCOUNT_ID --bucket blog-assets \\
           --public-url https://assets.example.com < post.md > out.md

  # Every .md/.mdx/.markdown file under content/posts, rewritten in place
  r2filter --in-place content/posts

  # Publish a draft: tmp/draft/*.md (images beside them) -> content/posts/
  r2filter tmp/draft --out-dir content/posts

  # See what would be uploaded, and where, without uploading or writing anything
  r2filter --dry-run < post.md

  # CI without secrets: the manifest must already know every image
  r2filter --offline < post.md > out.md

  # A machine-readable account of the run
  r2filter --report r2filter-report.json < post.md > out.md

  # mdBook: print the [preprocessor.r2filter] table for book.toml
  r2filter init --mdbook >> book.toml";

/// `r2filter init --help`.
pub const INIT: &str = "\
Examples:
  # Write ./r2filter.toml, every setting commented, then edit it
  r2filter init

  # Somewhere else, replacing a file that is there
  r2filter init site/r2filter.toml --force

  # mdBook: append the preprocessor table to book.toml
  r2filter init --mdbook >> book.toml";
