//! A real S3 server on loopback for benchmarks: s3s + s3s-fs (the same server
//! the integration tests run in-process), SigV4 checked with fixed test
//! credentials, objects stored as files under `--root`.
//!
//! ```text
//! cargo run --release -p r2filter-bench --bin s3-server -- --root /tmp/s3 --port 0 --bucket bench-bucket
//! ```
//!
//! It prints `listening on http://127.0.0.1:PORT` once it accepts connections.
//! `GET /_bench/requests` answers the number of S3 requests served so far, per
//! method, as JSON (`{"HEAD":2000,"PUT":2000,…}`); `POST /_bench/reset` zeroes
//! the counts. No S3 bucket name can start with `_`, so these never shadow S3.
//! Test credentials only: it listens on 127.0.0.1 and nowhere else.
//! ListMultipartUploads is answered from s3s-fs's own upload records (the
//! integration tests' route, `tests/testsuite/support/uploads.rs`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;

#[path = "../../../tests/testsuite/support/uploads.rs"]
mod uploads;

const ACCESS_KEY: &str = "AKIAR2FILTERBENCH";
const SECRET_KEY: &str = "r2filter-bench-secret-loopback-only-0123456789";

fn usage() -> ! {
    eprintln!("usage: s3-server --root DIR [--port N] [--bucket NAME]... [--part-faults PERMILLE]");
    eprintln!("credentials: AWS_ACCESS_KEY_ID={ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SECRET_KEY}");
    std::process::exit(2)
}

fn main() {
    let mut root: Option<PathBuf> = None;
    let mut port: u16 = 0;
    let mut buckets: Vec<String> = Vec::new();
    let mut part_faults: u64 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--root" => root = Some(value().into()),
            "--port" => port = value().parse().unwrap_or_else(|_| usage()),
            "--bucket" => buckets.push(value()),
            "--part-faults" => part_faults = value().parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    let Some(root) = root else { usage() };
    for b in &buckets {
        std::fs::create_dir_all(root.join(b)).expect("create the bucket folder");
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    runtime.block_on(serve(root, port, part_faults));
}

async fn serve(root: PathBuf, port: u16, part_faults: u64) {
    let root = Arc::new(root);
    let fs = s3s_fs::FileSystem::new(&*root).expect("s3s-fs opens the root");
    let mut builder = s3s::service::S3ServiceBuilder::new(fs);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
    // ListMultipartUploads, which s3s-fs 0.14.1 lacks (the tests' server has
    // the same route).
    builder.set_route(uploads::ListUploads {
        root: root.to_path_buf(),
    });
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind 127.0.0.1");
    let counts: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    println!(
        "listening on http://{}",
        listener.local_addr().expect("a bound address")
    );
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (service, counts, root) = (service.clone(), counts.clone(), root.clone());
        tokio::spawn(async move {
            let handler = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let (service, counts, root) = (service.clone(), counts.clone(), root.clone());
                async move {
                    if let Some(what) = req.uri().path().strip_prefix("/_bench/") {
                        return Ok(stats(what, &counts));
                    }
                    if let Some(fault) = part_fault(&req, part_faults, &counts) {
                        return fault;
                    }
                    *counts
                        .lock()
                        .expect("no panic while locked")
                        .entry(req.method().to_string())
                        .or_default() += 1;
                    // Real S3 has no object at a key that is only a prefix of others;
                    // s3s-fs answers 500 there (a folder), which makes rclone retry
                    // for a minute. Answer what S3 answers.
                    if req.method() == hyper::Method::HEAD && is_folder(&root, req.uri().path()) {
                        return Ok(not_found());
                    }
                    hyper::service::Service::call(&service, req).await
                }
            });
            let _ = ConnBuilder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}

/// `--part-faults PERMILLE`: that share of the part uploads (a PUT with a
/// `partNumber`) fails before reaching the store, in turn with 500
/// InternalError, 503 SlowDown, 503 ServiceUnavailable and a dropped
/// connection; deterministic (the n-th part upload, hashed). Counted as
/// `FAULT` in `/_bench/requests`.
fn part_fault(
    req: &hyper::Request<hyper::body::Incoming>,
    permille: u64,
    counts: &Mutex<BTreeMap<String, u64>>,
) -> Option<Result<hyper::Response<s3s::Body>, s3s::HttpError>> {
    let is_part = req.method() == hyper::Method::PUT
        && req.uri().query().is_some_and(|q| q.contains("partNumber="));
    if permille == 0 || !is_part {
        return None;
    }
    let mut counts = counts.lock().expect("no panic while locked");
    let n = *counts.entry("PART".into()).or_default();
    *counts.entry("PART".into()).or_default() += 1;
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    if z % 1000 >= permille {
        return None;
    }
    let kind = *counts.entry("FAULT".into()).or_default() % 4;
    *counts.entry("FAULT".into()).or_default() += 1;
    let (status, code) = match kind {
        0 => (500, "InternalError"),
        1 => (503, "SlowDown"),
        2 => (503, "ServiceUnavailable"),
        _ => {
            let reset = std::io::Error::other("injected connection reset");
            return Some(Err(s3s::HttpError::new(Box::new(reset))));
        }
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected fault</Message></Error>"
    );
    Some(Ok(hyper::Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(s3s::Body::from(body))
        .expect("a valid response")))
}

fn stats(what: &str, counts: &Mutex<BTreeMap<String, u64>>) -> hyper::Response<s3s::Body> {
    let mut counts = counts.lock().expect("no panic while locked");
    let body = match what {
        "requests" => serde_json::to_string(&*counts).expect("counts serialize"),
        "reset" => {
            counts.clear();
            "{}".to_string()
        }
        _ => "{\"error\":\"unknown\"}".to_string(),
    };
    hyper::Response::builder()
        .header("content-type", "application/json")
        .body(s3s::Body::from(body))
        .expect("a valid response")
}

/// Whether the path-style `/bucket/key` names a folder under `root`.
fn is_folder(root: &std::path::Path, path: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let key_part = decoded.split_once('/').map_or("", |(_, k)| k);
    !key_part.is_empty()
        && !decoded.split('/').any(|c| c == ".." || c == ".")
        && root.join(&decoded).is_dir()
}

fn not_found() -> hyper::Response<s3s::Body> {
    hyper::Response::builder()
        .status(404)
        .header("content-type", "application/xml")
        .body(s3s::Body::empty())
        .expect("a valid response")
}
