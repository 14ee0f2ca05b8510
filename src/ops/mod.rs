//! The commands besides the pipeline run itself, each a library function the
//! command line ([`crate::cli`]) calls and prints: [`verify`] asks the bucket
//! about every object of the manifest; [`migrate`] takes the images out of
//! the repository; [`eject`] is the way back; [`orphans`] lists (and
//! deletes) objects nothing names; [`mdbook`] is the mdBook stage. `check` is
//! the pipeline stopped after its plan ([`crate::pipeline::check`]).
//! [`published`] is what eject and migrate share: which references in the
//! documents point at objects of the manifest.

pub mod eject;
pub mod mdbook;
pub mod migrate;
pub mod orphans;
pub(crate) mod published;
pub mod verify;
