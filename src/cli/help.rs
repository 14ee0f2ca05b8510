//! `--help`: the headings options are grouped under, which commands take the
//! settings under each heading, and the examples, one constant per entry, so
//! each subcommand shows its own and the top-level help shows one of each. A
//! new entry adds its constant here and a line or two to [`MAIN`].
//!
//! A setting (a field of [`crate::config::Settings`]) names its heading with
//! `help_heading = help::…`; [`TAKEN_BY`] then decides which subcommands show
//! and accept it. `r2filter` stands for the filter and batch mode.

/// Documents in and out: standard input, files, `--base-dir`.
pub const INPUT: &str = "Input and output";
/// Where objects go and are served from, and the manifest that remembers them.
pub const DESTINATION: &str = "Destination";
/// How requests reach the store: region, concurrency.
pub const CONNECTION: &str = "Connection";
/// How object keys are made.
pub const KEYS: &str = "Object keys";
/// Where the files documents name are looked for, and what a missing one does.
pub const DOCUMENTS: &str = "Documents";
/// What kind of site the documents come from, and the syntax read in them.
pub const SITE: &str = "Site and syntax";
/// Headers of new objects.
pub const UPLOADS: &str = "Uploads";
/// What is published of each image: metadata, format, size.
pub const IMAGES: &str = "Images";
/// How the run behaves: config file, plan only, offline, report, logging.
pub const RUN: &str = "Run";

/// The commands that take settings (`r2filter` is the filter and batch mode).
pub const COMMANDS: &[&str] = &["r2filter", "check", "verify", "migrate", "eject", "orphans"];

/// Which commands take the settings under each heading, in the order the
/// headings appear in `r2filter --help`. `check` works offline (no region,
/// no concurrency); `verify` and `orphans` read only the manifest and the
/// bucket; `eject` reads documents but makes no keys and uploads nothing.
pub const TAKEN_BY: &[(&str, &[&str])] = &[
    (INPUT, &["r2filter", "check"]),
    (DESTINATION, COMMANDS),
    (
        CONNECTION,
        &["r2filter", "verify", "migrate", "eject", "orphans"],
    ),
    (KEYS, &["r2filter", "check", "migrate", "orphans"]),
    (DOCUMENTS, &["r2filter", "check", "migrate", "eject"]),
    (SITE, &["r2filter", "check", "migrate", "eject"]),
    (UPLOADS, &["r2filter", "migrate"]),
    (IMAGES, &["r2filter", "check", "migrate"]),
    (RUN, COMMANDS),
];

/// Whether `command` takes the settings under `heading` (None: a heading
/// [`TAKEN_BY`] does not list, which the tests refuse).
pub fn takes(command: &str, heading: Option<&str>) -> Option<bool> {
    let (_, commands) = TAKEN_BY.iter().find(|(h, _)| Some(*h) == heading)?;
    Some(commands.contains(&command))
}

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

  # CI on pull requests: every image on disk and in the manifest, no network
  r2filter check content/posts

  # Is every object the manifest names in the bucket, as recorded?
  r2filter verify

  # mdBook: print the [preprocessor.r2filter] table for book.toml
  r2filter init --mdbook >> book.toml

  # Take the images out of the repository: plan, then delete (git rm)
  r2filter migrate && r2filter migrate --delete

  # The way back: images restored from the bucket, links to their paths
  r2filter eject

  # Objects under the prefix that the manifest does not name
  r2filter orphans";

/// `r2filter init --help`.
pub const INIT: &str = "\
Examples:
  # Write ./r2filter.toml, every setting commented, then edit it
  r2filter init

  # Somewhere else, replacing a file that is there
  r2filter init site/r2filter.toml --force

  # mdBook: append the preprocessor table to book.toml
  r2filter init --mdbook >> book.toml";

/// `r2filter check --help`.
pub const CHECK: &str = "\
Examples:
  # CI on pull requests: every image of the posts on disk and in the manifest
  # (no network, no credentials)
  r2filter check content/posts

  # One document on standard input
  r2filter check < post.md

  # An MDX page, with its settings from another config file
  r2filter check --mdx --config site/r2filter.toml < app/page.mdx";

/// `r2filter verify --help`.
pub const VERIFY: &str = "\
Examples:
  # HEAD every object the manifest names: missing ones, wrong size, type or SHA-256
  r2filter verify

  # The bucket of another manifest, more requests at once
  r2filter verify --manifest site/r2filter-manifest.json -j 32";

/// `r2filter mdbook --help`.
pub const MDBOOK: &str = "\
Examples:
  # Add the preprocessor to book.toml (mdBook then runs it on every build)
  r2filter init --mdbook >> book.toml
  mdbook build

  # What mdBook asks first: does it support this renderer? (exit 0: yes)
  r2filter mdbook supports html

  # In book.toml, a build that must find every image in the manifest (CI
  # without secrets): flags go before `mdbook`
  # command = \"r2filter --offline mdbook\"";

/// `r2filter migrate --help`.
pub const MIGRATE: &str = "\
Examples:
  # Rewrite every document under the current folder in place, and list the
  # image files that can leave the repository (nothing is deleted)
  r2filter migrate

  # Delete them (git rm inside a git work tree, staged together with the
  # rewritten documents and the manifest), then commit
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
