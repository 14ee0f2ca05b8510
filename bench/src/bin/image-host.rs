//! A remote image host on loopback for the adopt benchmark (bench/adopt.py):
//! serves the files under `--root` to GET and HEAD, as `image/png`,
//! `image/jpeg` or `application/octet-stream` by extension.
//!
//! ```text
//! cargo run --release -p r2filter-bench --bin image-host -- --root /tmp/host --port 0
//! ```
//!
//! It prints `listening on http://127.0.0.1:PORT` once it accepts connections.
//! `GET /_bench/requests` answers the number of requests served so far (not
//! counting these), `POST /_bench/reset` zeroes it. It listens on 127.0.0.1
//! and nowhere else.

use std::convert::Infallible;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;

type Body = http_body_util::Full<hyper::body::Bytes>;

fn usage() -> ! {
    eprintln!("usage: image-host --root DIR [--port N]");
    std::process::exit(2)
}

fn main() {
    let mut root: Option<PathBuf> = None;
    let mut port: u16 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--root" => root = Some(value().into()),
            "--port" => port = value().parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    let Some(root) = root else { usage() };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    runtime.block_on(serve(Arc::new(root), port));
}

async fn serve(root: Arc<PathBuf>, port: u16) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("a local address");
    println!("listening on http://{addr}");
    let served = Arc::new(AtomicU64::new(0));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (root, served) = (root.clone(), served.clone());
        tokio::spawn(async move {
            let handler = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let (root, served) = (root.clone(), served.clone());
                async move { Ok::<_, Infallible>(answer(&root, &served, &req).await) }
            });
            let _ = ConnBuilder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}

fn response(status: u16, content_type: &str, body: Vec<u8>) -> hyper::Response<Body> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("a response builds")
}

async fn answer(
    root: &Path,
    served: &AtomicU64,
    req: &hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Body> {
    let path = req.uri().path();
    match (req.method().as_str(), path) {
        ("GET", "/_bench/requests") => {
            let n = served.load(Ordering::SeqCst);
            return response(200, "application/json", format!("{n}\n").into_bytes());
        }
        ("POST", "/_bench/reset") => {
            served.store(0, Ordering::SeqCst);
            return response(204, "text/plain", Vec::new());
        }
        _ => {}
    }
    served.fetch_add(1, Ordering::SeqCst);
    let rel = Path::new(path.trim_start_matches('/'));
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return response(400, "text/plain", b"bad path".to_vec());
    }
    let content_type = match rel.extension().and_then(|e| e.to_str()) {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    };
    match tokio::fs::read(root.join(rel)).await {
        Ok(bytes) if req.method() == hyper::Method::HEAD => {
            let mut r = response(200, content_type, Vec::new());
            r.headers_mut()
                .insert("content-length", bytes.len().to_string().parse().unwrap());
            r
        }
        Ok(bytes) => response(200, content_type, bytes),
        Err(_) => response(404, "text/plain", b"not found".to_vec()),
    }
}
