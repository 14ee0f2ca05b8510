//! Helpers for `bench/run.py` that are not r2filter runs (those use the
//! `r2filter` binary itself, `PATH --out-dir DIR`, as users do):
//!
//! ```text
//! bench-batch --scan-splice site/posts      # scan + splice only, in memory: MB/s
//!                                           # (.md with pulldown-cmark, .mdx with markdown-rs)
//! bench-batch --scan-splice site/posts --math
//!                                           # the same with remark-math's $…$ / $$…$$ on
//! bench-batch --floor site/posts images.txt # read the documents, stat the images
//! bench-batch --front-matter site/posts     # front-matter scan only, in memory
//! bench-batch --clone-floor site/posts images.txt
//!                                           # read every image, rewrite every post
//! bench-batch --write site/posts out        # r2filter's batch writer: the posts into out/
//! bench-batch --write-fsync site/posts out  # the same with an fsync per file (before)
//! bench-batch --manifest-load m.json        # Manifest::load, median of 5 (JSON)
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use r2filter::Document;
use r2filter_text::resolve::{Url, classify};
use r2filter_text::rewrite::{Replacement, encode_for, splice};
use r2filter_text::scan::{self, Flavor, ScanOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["--floor", src, list] => floor(Path::new(src), Path::new(list)),
        ["--scan-splice", src] => scan_splice(Path::new(src), false),
        ["--scan-splice", src, "--math"] => scan_splice(Path::new(src), true),
        ["--front-matter", src] => front_matter(Path::new(src)),
        ["--clone-floor", src, list] => clone_floor(Path::new(src), Path::new(list)),
        ["--write", src, out] => write(Path::new(src), Path::new(out), false),
        ["--write-fsync", src, out] => write(Path::new(src), Path::new(out), true),
        ["--manifest-load", path] => manifest_load(Path::new(path)),
        _ => {
            eprintln!(
                "usage: bench-batch --scan-splice DIR [--math] | --front-matter DIR | --floor DIR IMAGE_LIST | --clone-floor DIR IMAGE_LIST | --write[-fsync] DIR OUT | --manifest-load FILE"
            );
            ExitCode::from(2)
        }
    }
}

/// Every Markdown (`.md`, `.mdx`) file under `dir`, sorted.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read the folder").flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "md" || x == "mdx") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    files
}

fn read_docs(src: &Path) -> Vec<Document> {
    markdown_files(src)
        .into_iter()
        .map(|p| Document {
            name: p.display().to_string(),
            base_dir: p.parent().expect("a file has a folder").to_path_buf(),
            text: std::fs::read_to_string(&p).expect("read a document"),
            flavor: Flavor::from_path(&p),
        })
        .collect()
}

/// Scan + splice throughput over the documents, in memory (no file system, no
/// hashing): what the Markdown work costs per MB. With `math`, `$…$` and
/// `$$…$$` are math (a site that lists remark-math).
fn scan_splice(src: &Path, math: bool) -> ExitCode {
    // The default front-matter keys, no Hexo tags; the flavor from the path.
    let opts = |flavor: Flavor| -> ScanOptions {
        ScanOptions {
            math,
            ..flavor.into()
        }
    };
    // A document r2filter refuses (MDX that does not parse) is named on
    // stderr and left out, so a corpus can be cut to what both flavors read.
    let (docs, refused): (Vec<Document>, Vec<Document>) = read_docs(src)
        .into_iter()
        .partition(|d| scan::scan(&d.text, &opts(d.flavor)).is_ok());
    for d in &refused {
        eprintln!("refused: {}", d.name);
    }
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let url = "https://assets.example.com/2026/11/0123456789ab.png";
    let mut best = f64::MAX;
    let mut refs = 0;
    let mut out_bytes = 0;
    // Best of a few passes: the machine is shared, the minimum is the signal.
    for _ in 0..5 {
        let t = Instant::now();
        refs = 0;
        out_bytes = 0;
        for d in &docs {
            let found = scan::scan(&d.text, &opts(d.flavor))
                .expect("the benchmark's documents scan")
                .references;
            let reps: Vec<Replacement> = found
                .iter()
                .filter(|r| matches!(classify(&r.url, r.context), Url::Local { .. }))
                .map(|r| Replacement {
                    span: r.span.clone(),
                    text: encode_for(r.context, url),
                })
                .collect();
            refs += reps.len();
            out_bytes += splice(&d.text, &reps).len();
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{{\"documents\":{},\"refused\":{},\"bytes\":{bytes},\"references\":{refs},\"out_bytes\":{out_bytes},\"seconds\":{best:.6},\"mb_per_s\":{:.1}}}",
        docs.len(),
        refused.len(),
        bytes as f64 / 1e6 / best
    );
    ExitCode::SUCCESS
}

/// The front-matter stage alone, in memory: every document's front matter
/// scanned for the default image keys (the Markdown parse is not timed). Best
/// of 20 passes; the time per document is what a warm run pays for front
/// matter.
fn front_matter(src: &Path) -> ExitCode {
    let docs = read_docs(src);
    let keys: Vec<String> = scan::DEFAULT_FRONT_MATTER_KEYS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut best = f64::MAX;
    let mut refs = 0;
    let mut blocks = 0;
    let mut bytes = 0;
    for _ in 0..20 {
        let t = Instant::now();
        refs = 0;
        blocks = 0;
        bytes = 0;
        for d in &docs {
            let (n, len) = front_matter_refs(&d.text, &keys);
            if len > 0 {
                blocks += 1;
                bytes += len;
                refs += n;
            }
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{{\"documents\":{},\"blocks\":{blocks},\"block_bytes\":{bytes},\"references\":{refs},\"seconds\":{best:.6},\"us_per_block\":{:.2}}}",
        docs.len(),
        best * 1e6 / blocks.max(1) as f64
    );
    ExitCode::SUCCESS
}

/// (references, block length) of `text`'s front matter; (0, 0) without one.
/// Finding the block is part of the work timed.
fn front_matter_refs(text: &str, keys: &[String]) -> (usize, usize) {
    let Some(block) = scan::frontmatter::detect(text) else {
        return (0, 0);
    };
    let mut found = scan::Scanned::default();
    scan::frontmatter::scan(text, &block, keys, &mut found)
        .expect("the benchmark's front matter parses");
    (found.references.len(), block.range.len())
}

/// The warm-run floor: read every document and stat every referenced image
/// (the distinct paths listed one per line in `list`), nothing else. No warm
/// run of any tool that must notice a changed image can do less.
fn floor(src: &Path, list: &Path) -> ExitCode {
    let t = Instant::now();
    let mut bytes = 0;
    let docs = markdown_files(src);
    for p in &docs {
        bytes += std::fs::read(p).expect("read a document").len();
    }
    let images = std::fs::read_to_string(list).expect("read the image list");
    let mut stats = 0;
    for line in images.lines().filter(|l| !l.is_empty()) {
        std::fs::metadata(line).expect("stat an image");
        stats += 1;
    }
    eprintln!(
        "floor: read {} documents ({bytes} bytes), stat {stats} images in {:.3}s",
        docs.len(),
        t.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

/// The fresh-clone floor: read every image whole (a clone has no stat cache:
/// the bytes must be hashed to be known) and rewrite every document in place
/// (plain overwrite, no temp file, no fsync). Nothing else.
fn clone_floor(src: &Path, list: &Path) -> ExitCode {
    let t = Instant::now();
    let images = std::fs::read_to_string(list).expect("read the image list");
    let mut image_bytes = 0;
    for line in images.lines().filter(|l| !l.is_empty()) {
        image_bytes += std::fs::read(line).expect("read an image").len();
    }
    let docs = markdown_files(src);
    for p in &docs {
        let text = std::fs::read(p).expect("read a document");
        std::fs::write(p, &text).expect("rewrite a document");
    }
    eprintln!(
        "clone floor: read {image_bytes} image bytes, rewrote {} documents in {:.3}s",
        docs.len(),
        t.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

/// The documents under `src`, written under `out` by r2filter's batch writer
/// (temp files, one wait for their data, renames, one fsync per folder), or,
/// with `fsync_each`, the way it wrote before (an fsync per temp file). Prints
/// the time of the writing alone, as JSON.
fn write(src: &Path, out: &Path, fsync_each: bool) -> ExitCode {
    let cwd = std::env::current_dir().expect("a current folder");
    let inputs = r2filter::batch::collect(&[src.to_path_buf()], &cwd).expect("collect the posts");
    let outputs: Vec<String> = inputs
        .iter()
        .map(|i| std::fs::read_to_string(&i.path).expect("read a post"))
        .collect();
    let target = r2filter::batch::Target::OutDir(out.to_path_buf());
    let t = Instant::now();
    if fsync_each {
        use std::io::Write;
        for (input, output) in inputs.iter().zip(&outputs) {
            let to = cwd.join(input.target(&target));
            let dir = to.parent().expect("a file has a folder");
            std::fs::create_dir_all(dir).expect("create the folder");
            let mut tmp = tempfile::NamedTempFile::new_in(dir).expect("a temp file");
            tmp.write_all(output.as_bytes()).expect("write");
            tmp.as_file().sync_all().expect("fsync");
            tmp.persist(&to).expect("rename");
        }
    } else {
        let written =
            r2filter::batch::write_all(&inputs, &outputs, &target, &cwd).expect("write the posts");
        assert_eq!(written.changed.len(), inputs.len());
    }
    println!(
        "{{\"files\":{},\"seconds\":{:.6}}}",
        inputs.len(),
        t.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

/// How long loading the manifest takes (parse and check), median of 5.
fn manifest_load(path: &Path) -> ExitCode {
    use r2filter::manifest::Manifest;
    let text = std::fs::read_to_string(path).expect("read the manifest");
    let m: Manifest = serde_json::from_str(&text).expect("a manifest");
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let loaded = Manifest::load(path, &m.destination).expect("load the manifest");
            let s = t.elapsed().as_secs_f64();
            assert_eq!(loaded.objects.len(), m.objects.len());
            s
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"objects\":{},\"bytes\":{},\"seconds\":{:.6}}}",
        m.objects.len(),
        text.len(),
        times[2]
    );
    ExitCode::SUCCESS
}
