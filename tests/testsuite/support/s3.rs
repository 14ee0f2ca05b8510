//! A real S3 server (s3s + s3s-fs, SigV4 checked) on 127.0.0.1, in the test
//! process, that records every request and can misbehave on purpose.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;

use super::{ACCESS_KEY, BUCKET, SECRET_KEY};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The query string (`uploads`, `partNumber=1&uploadId=…`), or empty.
    pub query: String,
    pub headers: BTreeMap<String, String>,
}

/// How the server misbehaves, to look like a particular store.
#[derive(Debug, Clone, Default)]
pub struct Quirks {
    /// Answer 501 NotImplemented to any request carrying `x-amz-acl`, as R2 does.
    pub reject_acl: bool,
    /// Turn a share of requests into failures (see [`Faults`]).
    pub faults: Option<Faults>,
    /// Answer 501 NotImplemented to a PUT carrying `If-None-Match`, as a store
    /// without conditional writes does.
    pub reject_conditional: bool,
}

/// What a faulty request gets instead of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// 500 InternalError.
    Internal,
    /// 503 ServiceUnavailable.
    Unavailable,
    /// 503 SlowDown (S3's throttling answer).
    SlowDown,
    /// 429 with R2's code, TooManyRequests (not in the SDK's throttling list).
    TooMany,
    /// The connection is dropped without an answer.
    Reset,
    /// Nothing for [`Faults::stall`], then the connection is dropped: longer than
    /// the client's read timeout, so the client gives up first.
    Stall,
}

impl Fault {
    pub const ALL: [Fault; 6] = [
        Fault::Internal,
        Fault::Unavailable,
        Fault::SlowDown,
        Fault::TooMany,
        Fault::Reset,
        Fault::Stall,
    ];
}

/// Deterministic fault injection: request n (or, `sticky`, the request's
/// method and path) is hashed with `seed`; `permille` of them get a fault,
/// picked from `kinds` by the same hash. A faulty request never reaches the
/// store behind, so a retry is the only way its object gets there.
#[derive(Debug, Clone)]
pub struct Faults {
    pub seed: u64,
    pub permille: u64,
    pub kinds: Vec<Fault>,
    /// Decide by method and path, not by arrival: the same object fails on
    /// every try (a store that keeps failing for it).
    pub sticky: bool,
    pub stall: std::time::Duration,
    /// Only requests with this method may fail (`Some("PUT")`: the parts of
    /// a multipart upload and single PUTs, never its start or completion).
    pub method: Option<&'static str>,
}

impl Faults {
    /// `permille`‰ of requests fail, with every kind of fault.
    pub fn every_kind(seed: u64, permille: u64) -> Faults {
        Faults {
            seed,
            permille,
            kinds: Fault::ALL.to_vec(),
            sticky: false,
            stall: std::time::Duration::from_millis(1500),
            method: None,
        }
    }

    fn pick(&self, n: u64, method: &str, path: &str) -> Option<Fault> {
        if self.method.is_some_and(|m| m != method) {
            return None;
        }
        let input = if self.sticky {
            // FNV-1a over "METHOD path".
            let mut h = 0xcbf2_9ce4_8422_2325u64;
            for b in method.bytes().chain([b' ']).chain(path.bytes()) {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
            h
        } else {
            n
        };
        let r = splitmix64(self.seed ^ splitmix64(input));
        (r % 1000 < self.permille && !self.kinds.is_empty())
            .then(|| self.kinds[((r >> 32) % self.kinds.len() as u64) as usize])
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What the server did, beyond the requests it saw.
#[derive(Debug, Default)]
struct Tally {
    /// Requests so far (the fault decision's sequence number).
    requests: u64,
    /// Faults are off from now on.
    healed: bool,
    injected: BTreeMap<Fault, usize>,
    /// Answers the store behind gave, by (method, path): statuses in order.
    answers: BTreeMap<(String, String), Vec<u16>>,
}

/// Returned by the handler to make hyper drop the connection unanswered.
#[derive(Debug)]
struct Dropped(String);

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Dropped {}

/// A real S3 server on 127.0.0.1, in this process, on its own runtime thread.
pub struct S3Server {
    pub endpoint: String,
    pub dir: tempfile::TempDir,
    seen: Arc<Mutex<Vec<Seen>>>,
    tally: Arc<Mutex<Tally>>,
    runtime: tokio::runtime::Runtime,
}

impl S3Server {
    pub fn start() -> S3Server {
        S3Server::start_with(Quirks::default())
    }

    pub fn start_with(quirks: Quirks) -> S3Server {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(BUCKET)).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let fs = s3s_fs::FileSystem::new(dir.path()).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        builder.set_route(super::uploads::ListUploads {
            root: dir.path().to_path_buf(),
        });
        let service = builder.build();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let tally: Arc<Mutex<Tally>> = Arc::default();
        let (log, counts) = (seen.clone(), tally.clone());
        let root = dir.path().to_path_buf();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (service, log, counts, quirks, root) = (
                    service.clone(),
                    log.clone(),
                    counts.clone(),
                    quirks.clone(),
                    root.clone(),
                );
                tokio::spawn(async move {
                    let handler = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let (service, log, counts, quirks, root) = (
                            service.clone(),
                            log.clone(),
                            counts.clone(),
                            quirks.clone(),
                            root.clone(),
                        );
                        async move {
                            let seen = Seen {
                                method: req.method().to_string(),
                                path: req.uri().path().to_string(),
                                query: req.uri().query().unwrap_or_default().to_string(),
                                headers: req
                                    .headers()
                                    .iter()
                                    .map(|(k, v)| {
                                        (k.to_string(), v.to_str().unwrap_or("?").to_string())
                                    })
                                    .collect(),
                            };
                            let acl = seen.headers.contains_key("x-amz-acl");
                            let fault = {
                                let mut t = counts.lock().unwrap();
                                let n = t.requests;
                                t.requests += 1;
                                let fault = quirks
                                    .faults
                                    .as_ref()
                                    .filter(|_| !t.healed)
                                    .and_then(|f| f.pick(n, &seen.method, &seen.path));
                                if let Some(f) = fault {
                                    *t.injected.entry(f).or_default() += 1;
                                }
                                fault
                            };
                            let (method, path) = (seen.method.clone(), seen.path.clone());
                            log.lock().unwrap().push(seen);
                            if let Some(fault) = fault {
                                return inject(fault, &quirks).await;
                            }
                            // s3s-fs creates a missing bucket on PUT; S3 and R2
                            // answer NoSuchBucket.
                            if let Some(bucket) = no_such_bucket(&root, &method, &path) {
                                return Ok(xml_error(
                                    404,
                                    "NoSuchBucket",
                                    &format!("The specified bucket does not exist: {bucket}"),
                                ));
                            }
                            if quirks.reject_conditional
                                && method == "PUT"
                                && log.lock().unwrap().last().is_some_and(|r| {
                                    r.headers.contains_key("if-none-match")
                                })
                            {
                                return Ok(xml_error(
                                    501,
                                    "NotImplemented",
                                    "A header you provided implies functionality that is not implemented",
                                ));
                            }
                            if quirks.reject_acl && acl {
                                return Ok(xml_error(
                                    501,
                                    "NotImplemented",
                                    "Header 'x-amz-acl' with value 'public-read' not implemented",
                                ));
                            }
                            let resp = match hyper::service::Service::call(&service, req).await {
                                Ok(resp) => resp,
                                Err(e) => return Err(Dropped(format!("{e:?}"))),
                            };
                            counts
                                .lock()
                                .unwrap()
                                .answers
                                .entry((method, path))
                                .or_default()
                                .push(resp.status().as_u16());
                            Ok::<_, Dropped>(resp)
                        }
                    });
                    let _ = ConnBuilder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), handler)
                        .await;
                });
            }
        });
        S3Server {
            endpoint,
            dir,
            seen,
            tally,
            runtime,
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests with this method so far.
    pub fn count(&self, method: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method)
            .count()
    }

    /// No more faults from now on.
    pub fn heal(&self) {
        self.tally.lock().unwrap().healed = true;
    }

    /// Faults injected so far, by kind.
    pub fn faults(&self) -> BTreeMap<Fault, usize> {
        self.tally.lock().unwrap().injected.clone()
    }

    /// Faults injected so far.
    pub fn fault_count(&self) -> usize {
        self.faults().values().sum()
    }

    /// Every status the store behind answered (faults and quirks not counted).
    pub fn statuses(&self) -> Vec<u16> {
        let t = self.tally.lock().unwrap();
        t.answers.values().flatten().copied().collect()
    }

    /// How many times the store behind accepted a PUT of each key (2xx).
    pub fn stored_puts(&self) -> BTreeMap<String, usize> {
        let prefix = format!("/{BUCKET}/");
        let mut out = BTreeMap::new();
        for ((method, path), statuses) in &self.tally.lock().unwrap().answers {
            let ok = statuses.iter().filter(|s| (200..300).contains(*s)).count();
            if method == "PUT" && ok > 0 {
                let key = path.strip_prefix(&prefix).unwrap_or(path);
                *out.entry(key.to_string()).or_default() += ok;
            }
        }
        out
    }

    pub fn forget_requests(&self) {
        self.seen.lock().unwrap().clear();
    }

    /// The object's bytes and headers, fetched over HTTP with a real client.
    pub fn get(&self, key: &str) -> Option<Object> {
        let client = self.client();
        let out = self.runtime.block_on(async {
            let resp = client
                .get_object()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await
                .ok()?;
            let ct = resp.content_type().map(str::to_string);
            let cc = resp.cache_control().map(str::to_string);
            let meta = resp.metadata().cloned().unwrap_or_default();
            let bytes = resp.body.collect().await.ok()?.into_bytes().to_vec();
            Some(Object {
                bytes,
                content_type: ct,
                cache_control: cc,
                metadata: meta.into_iter().collect(),
            })
        });
        // The check itself is not part of what a test counts.
        let mut seen = self.seen.lock().unwrap();
        if let Some(last) = seen.last()
            && last.method == "GET"
        {
            seen.pop();
        }
        out
    }

    /// An object's bytes as the store keeps them on disk (no request made).
    pub fn stored(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.dir.path().join(BUCKET).join(key)).ok()
    }

    /// Keys in the bucket (from the server's folder).
    pub fn keys(&self) -> Vec<String> {
        let bucket = self.dir.path().join(BUCKET);
        let mut keys = Vec::new();
        walk(&bucket, &mut |p| {
            keys.push(
                p.strip_prefix(&bucket)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        });
        keys.sort();
        keys
    }

    /// Runs `f` with an SDK client of this server (bucket [`BUCKET`]), for
    /// what a test does to the bucket itself (start an upload, a ranged GET).
    /// Its requests are recorded like any other.
    pub fn with_client<F, T>(&self, f: impl FnOnce(aws_sdk_s3::Client) -> F) -> T
    where
        F: std::future::Future<Output = T>,
    {
        self.runtime.block_on(f(self.client()))
    }

    /// The ids of the multipart uploads s3s-fs holds open (started, neither
    /// completed nor aborted), from its records on disk (no request made).
    pub fn open_uploads(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                Some(
                    name.strip_prefix(".upload-")?
                        .strip_suffix(".json")?
                        .to_string(),
                )
            })
            .collect();
        ids.sort();
        ids
    }

    /// Parts s3s-fs holds for open uploads (files on disk).
    pub fn stored_parts(&self) -> usize {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".upload_id-"))
            .count()
    }

    fn client(&self) -> aws_sdk_s3::Client {
        let creds =
            aws_sdk_s3::config::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test");
        let conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_sdk_s3::config::Region::new("auto"))
            .credentials_provider(creds)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }
}

/// The bucket of an object request whose bucket does not exist.
fn no_such_bucket(root: &Path, method: &str, path: &str) -> Option<String> {
    let (bucket, key) = path.trim_start_matches('/').split_once('/')?;
    let object_op = !key.is_empty() && matches!(method, "GET" | "HEAD" | "PUT" | "DELETE");
    (object_op && !root.join(bucket).is_dir()).then(|| bucket.to_string())
}

/// What a faulty request gets. An `Err` makes hyper drop the connection
/// without answering.
async fn inject(fault: Fault, quirks: &Quirks) -> Result<hyper::Response<s3s::Body>, Dropped> {
    Ok(match fault {
        Fault::Internal => xml_error(500, "InternalError", "injected fault"),
        Fault::Unavailable => xml_error(503, "ServiceUnavailable", "injected fault"),
        Fault::SlowDown => xml_error(503, "SlowDown", "Please reduce your request rate."),
        Fault::TooMany => xml_error(429, "TooManyRequests", "injected fault"),
        Fault::Reset => return Err(Dropped("injected connection reset".into())),
        Fault::Stall => {
            let stall = quirks
                .faults
                .as_ref()
                .map_or(Default::default(), |f| f.stall);
            tokio::time::sleep(stall).await;
            return Err(Dropped("injected stall".into()));
        }
    })
}

fn xml_error(status: u16, code: &str, message: &str) -> hyper::Response<s3s::Body> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(s3s::Body::from(body))
        .unwrap()
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, f);
        } else {
            f(&p);
        }
    }
}

#[derive(Debug, Clone)]
pub struct Object {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub metadata: BTreeMap<String, String>,
}
