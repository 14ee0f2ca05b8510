//! r2filter's text stages: find every image reference in a Markdown, MDX or
//! mdBook document with the exact byte span of its URL ([`scan`]), decide from
//! the text alone which URLs are local images ([`resolve`]), and put new URLs
//! into the source bytes without re-rendering anything ([`rewrite`]).
//!
//! Pure functions over `&str`: no runtime, no network, no file system. The
//! `r2filter` crate runs them inside its pipeline; the fuzz targets and the
//! property tests run them alone, checking [`props`].
//!
//! ```
//! use r2filter_text::rewrite::{Replacement, replacement, splice};
//! use r2filter_text::scan::{Flavor, scan};
//! let doc = "A ![cat](img/cat.png) in `![code](x.png)`.\n";
//! let refs = scan(doc, &Flavor::Markdown.into()).unwrap().references;
//! let reps: Vec<Replacement> = refs
//!     .iter()
//!     .map(|r| Replacement {
//!         span: r.span.clone(),
//!         text: replacement(r.context, "https://cdn.example/a.png", &doc[r.span.clone()]),
//!     })
//!     .collect();
//! assert_eq!(
//!     splice(doc, &reps),
//!     "A ![cat](https://cdn.example/a.png) in `![code](x.png)`.\n"
//! );
//! ```

pub mod props;
pub mod resolve;
pub mod rewrite;
pub mod scan;
