//! A dying image host on 127.0.0.1 (issue 23): the Imgur of a blog's old
//! posts, serving good images next to every way a download goes wrong. It
//! records every request, so a test can show which URLs were asked (or that
//! none was).
//!
//! | path | answer |
//! |---|---|
//! | `/img/N.png` | [`ImageHost::image`]`(N)`, `image/png` |
//! | `/mirror/N.png` | the same bytes as `/img/N.png` (another origin, one object) |
//! | `/liar/N.png` | the same PNG, served as `text/html` (a lying Content-Type) |
//! | `/redirect/N.png` | 302 to `/img/N.png` |
//! | `/loop.png` | 302 to itself |
//! | `/chain/N.png` | 302 to `/chain/N+1.png`, and `/chain/9.png` is the image: 9 hops |
//! | `/away/N.png` | 302 to the same image on `localhost` (a host not listed) |
//! | `/gone.png`, `/removed.png` | 404, 410 |
//! | `/login.png` | 200 `text/html`: a login wall |
//! | `/html-as-png.png` | 200 `image/png` whose body is HTML |
//! | `/huge.png` | 200, a PNG signature and [`HUGE`] bytes, Content-Length sent |
//! | `/huge-chunked.png` | the same without Content-Length (the cap while streaming) |
//! | `/slow.png` | 200, 16 bytes, then nothing for [`STALL`], then the rest |
//! | `/flaky/N.png` | 503 to its first request, then the image |
//! | `/nohead/N.png` | 405 to HEAD, the image to GET (`check --remote` falls back) |
//! | anything else | 404 |

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;

/// The body of `/huge.png` (a test caps adoptions below it).
pub const HUGE: usize = 300_000;
/// How long `/slow.png` stalls (a test sets adopt-timeout below it). The
/// server's task ends then: no loop waits on a client.
pub const STALL: Duration = Duration::from_secs(4);

/// One request as the host saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSeen {
    pub method: String,
    pub path: String,
    /// The `Host` header (`127.0.0.1:PORT` or `localhost:PORT`).
    pub host: String,
}

type Body = BoxBody<Bytes, Infallible>;

/// The host, on its own runtime; dropped, it stops.
pub struct ImageHost {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub port: u16,
    seen: Arc<Mutex<Vec<HostSeen>>>,
    _runtime: tokio::runtime::Runtime,
}

impl ImageHost {
    pub fn start() -> ImageHost {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<HostSeen>>> = Arc::default();
        let flaky: Arc<Mutex<HashSet<String>>> = Arc::default();
        let log = seen.clone();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (log, flaky) = (log.clone(), flaky.clone());
                tokio::spawn(async move {
                    let handler = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let seen = HostSeen {
                            method: req.method().to_string(),
                            path: req.uri().path().to_string(),
                            host: req
                                .headers()
                                .get("host")
                                .and_then(|h| h.to_str().ok())
                                .unwrap_or_default()
                                .to_string(),
                        };
                        log.lock().unwrap().push(seen.clone());
                        let first = flaky.lock().unwrap().insert(seen.path.clone());
                        async move { Ok::<_, Infallible>(answer(&seen, port, first)) }
                    });
                    let _ = ConnBuilder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), handler)
                        .await;
                });
            }
        });
        ImageHost {
            base: format!("http://127.0.0.1:{port}"),
            port,
            seen,
            _runtime: runtime,
        }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The bytes of `/img/N.png`: a PNG, distinct per `n`.
    pub fn image(n: u32) -> Vec<u8> {
        super::png(10_000 + n)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<HostSeen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests so far, by path.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for r in self.requests() {
            *out.entry(r.path).or_default() += 1;
        }
        out
    }

    pub fn forget(&self) {
        self.seen.lock().unwrap().clear();
    }
}

fn full(status: u16, content_type: &str, body: Vec<u8>) -> hyper::Response<Body> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)).boxed())
        .unwrap()
}

fn redirect(to: &str) -> hyper::Response<Body> {
    hyper::Response::builder()
        .status(302)
        .header("location", to)
        .body(Full::new(Bytes::new()).boxed())
        .unwrap()
}

/// `N` of `/prefix/N.png`.
fn number(path: &str, prefix: &str) -> Option<u32> {
    path.strip_prefix(prefix)?
        .strip_suffix(".png")?
        .parse()
        .ok()
}

fn answer(req: &HostSeen, port: u16, first: bool) -> hyper::Response<Body> {
    let p = req.path.as_str();
    let png = |n| full(200, "image/png", ImageHost::image(n));
    if let Some(n) = number(p, "/img/").or_else(|| number(p, "/mirror/")) {
        return png(n);
    }
    if let Some(n) = number(p, "/liar/") {
        return full(200, "text/html; charset=utf-8", ImageHost::image(n));
    }
    if let Some(n) = number(p, "/redirect/") {
        return redirect(&format!("/img/{n}.png"));
    }
    if let Some(n) = number(p, "/chain/") {
        return match n {
            9.. => png(n),
            _ => redirect(&format!("/chain/{}.png", n + 1)),
        };
    }
    if let Some(n) = number(p, "/away/") {
        return redirect(&format!("http://localhost:{port}/img/{n}.png"));
    }
    if let Some(n) = number(p, "/nohead/") {
        return match req.method.as_str() {
            "HEAD" => full(405, "text/plain", Vec::new()),
            _ => png(n),
        };
    }
    if let Some(n) = number(p, "/flaky/") {
        return match first {
            true => full(503, "text/plain", b"try later".to_vec()),
            false => png(n),
        };
    }
    let login = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form>...</form></body></html>\n";
    match p {
        "/loop.png" => redirect("/loop.png"),
        "/gone.png" => full(404, "text/html", b"<h1>Not Found</h1>".to_vec()),
        "/removed.png" => full(410, "text/plain", b"gone".to_vec()),
        "/login.png" => full(200, "text/html; charset=utf-8", login.to_vec()),
        "/html-as-png.png" => full(200, "image/png", login.to_vec()),
        "/huge.png" => full(200, "image/png", huge()),
        "/huge-chunked.png" => streamed(vec![(Duration::ZERO, huge())]),
        "/slow.png" => {
            let bytes = ImageHost::image(77);
            let (a, b) = bytes.split_at(16);
            streamed(vec![(Duration::ZERO, a.to_vec()), (STALL, b.to_vec())])
        }
        _ => full(404, "text/plain", b"no such image".to_vec()),
    }
}

/// A PNG signature and then [`HUGE`] bytes in all.
fn huge() -> Vec<u8> {
    let mut b = super::png(99_999);
    b.resize(HUGE, b'x');
    b
}

/// A 200 `image/png` whose body comes in `parts`, each after its pause,
/// with no Content-Length (chunked).
fn streamed(parts: Vec<(Duration, Vec<u8>)>) -> hyper::Response<Body> {
    let stream = futures::stream::unfold(parts.into_iter(), |mut parts| async move {
        let (pause, bytes) = parts.next()?;
        tokio::time::sleep(pause).await;
        Some((Ok::<_, Infallible>(Frame::data(Bytes::from(bytes))), parts))
    });
    hyper::Response::builder()
        .status(200)
        .header("content-type", "image/png")
        .body(StreamBody::new(stream).boxed())
        .unwrap()
}
