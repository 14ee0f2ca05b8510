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
  r2filter init --mdbook >> book.toml

  # Take the images out of the repository: plan, then delete (git rm)
  r2filter migrate && r2filter migrate --delete

  # The way back: images restored from the bucket, links to their paths
  r2filter eject";

/// `r2filter init --help`.
pub const INIT: &str = "\
Examples:
  # Write ./r2filter.toml, every setting commented, then edit it
  r2filter init

  # Somewhere else, replacing a file that is there
  r2filter init site/r2filter.toml --force

  # mdBook: append the preprocessor table to book.toml
  r2filter init --mdbook >> book.toml";

/// `r2filter migrate --help`.
pub const MIGRATE: &str = "\
Examples:
  # Rewrite every document under the current folder in place, and list the
  # image files that can leave the repository (nothing is deleted)
  r2filter migrate

  # Delete them (git rm inside a git work tree), then commit
  r2filter migrate --delete && git commit -m \"Move images to R2\"

  # Only the posts
  r2filter migrate content/posts --delete";

/// `r2filter eject --help`.
pub const EJECT: &str = "\
Examples:
  # Restore every image the documents link to, and the links to local paths
  r2filter eject

  # Without bucket credentials: download from the public URL, as a reader
  r2filter eject --from-public-url content/posts";

/// `r2filter orphans --help`.
pub const ORPHANS: &str = "\
Examples:
  # Objects under the prefix that the manifest does not name, with their bytes
  # (and incomplete multipart uploads, left by runs stopped mid-upload)
  r2filter orphans

  # Delete those last written more than 30 days ago (and abort such uploads)
  r2filter orphans --delete --min-age 30";
