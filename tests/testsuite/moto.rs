//! The core filter tests against a second, independent S3 implementation:
//! moto's server (Python, `pip install "moto[server]"`), with SigV4 enforced.
//!
//! moto checks no signatures unless INITIAL_NO_AUTH_ACTION_COUNT is set; then
//! the first N requests are free and every later one must be signed by a
//! known key. The free ones create an IAM user, its `s3:*` policy, its access
//! key, and the bucket (as us-east-1: moto refuses region `auto` there).
//!
//! Each test starts its own moto on a free loopback port and kills it at the
//! end. Without moto the tests skip, unless `CI` is set: then they fail.
//! `MOTO_SERVER` may name the executable (default: `moto_server` on PATH).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

const FLAT: [&str; 2] = ["--key-template", "{hash}.{ext}"];

struct Moto {
    child: Child,
    /// moto's request log (one line per request, werkzeug's format).
    log: tempfile::NamedTempFile,
    endpoint: String,
    key: String,
    secret: String,
    runtime: tokio::runtime::Runtime,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    fn start() -> Option<Moto> {
        let name = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        let bin = tool(&name, "pip install \"moto[server]\"")?;
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "4")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .expect("moto_server starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let mut moto = Moto {
            child,
            log,
            endpoint,
            key: String::new(),
            secret: String::new(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        };
        // Bounded wait for the port to open.
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                moto.child.try_wait().unwrap().is_none(),
                "moto_server exited"
            );
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        // The four free requests.
        moto.iam("Action=CreateUser&UserName=r2filter&Version=2010-05-08");
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        moto.iam(&format!(
            "Action=PutUserPolicy&UserName=r2filter&PolicyName=s3&PolicyDocument={}&Version=2010-05-08",
            percent(policy)
        ));
        let keys = moto.iam("Action=CreateAccessKey&UserName=r2filter&Version=2010-05-08");
        moto.key = between(&keys, "<AccessKeyId>", "</AccessKeyId>");
        moto.secret = between(&keys, "<SecretAccessKey>", "</SecretAccessKey>");
        let (status, body) = http(port, "PUT", &format!("/{BUCKET}"), "s3", "");
        assert_eq!(status, 200, "CreateBucket: {body}");
        Some(moto)
    }

    /// The S3 object requests moto has answered so far, as "METHOD /path
    /// STATUS" ("LIST /bucket?query STATUS" for a listing), from its log.
    fn requests(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.log.path()).unwrap();
        // Werkzeug colours the request line of a 4xx or 5xx answer.
        let text = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&text, "");
        text.lines()
            .filter_map(|line| {
                // 127.0.0.1 - - [date] "PUT /bucket/key HTTP/1.1" 200 -
                let (_, rest) = line.split_once('"')?;
                let (request, after) = rest.split_once('"')?;
                let mut parts = request.split(' ');
                let (method, target) = (parts.next()?, parts.next()?);
                let status = after.split_whitespace().next()?;
                let (path, query) = target.split_once('?').unwrap_or((target, ""));
                let bucket = format!("/{BUCKET}");
                if path.trim_end_matches('/') == bucket {
                    (method == "GET" && query.contains("list-type=2"))
                        .then(|| format!("LIST {target} {status}"))
                } else {
                    path.starts_with(&format!("{bucket}/"))
                        .then(|| format!("{method} {path} {status}"))
                }
            })
            .collect()
    }

    /// How many of [`Moto::requests`] start with `what` ("PUT", "HEAD", "LIST").
    fn count(&self, what: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.starts_with(&format!("{what} ")))
            .count()
    }

    fn port(&self) -> u16 {
        self.endpoint.rsplit(':').next().unwrap().parse().unwrap()
    }

    fn iam(&self, form: &str) -> String {
        let (status, body) = http(self.port(), "POST", "/", "iam", form);
        assert_eq!(status, 200, "{form}: {body}");
        body
    }

    fn client(&self, secret: &str) -> aws_sdk_s3::Client {
        let creds = aws_sdk_s3::config::Credentials::new(&self.key, secret, None, None, "moto");
        let conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(creds)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// An object's bytes, Content-Type, Cache-Control and sha256 metadata,
    /// fetched with a signed GET.
    fn get(&self, key: &str) -> Option<(Vec<u8>, String, String, String)> {
        let client = self.client(&self.secret);
        self.runtime.block_on(async {
            let resp = client
                .get_object()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await
                .ok()?;
            let ct = resp.content_type().unwrap_or_default().to_string();
            let cc = resp.cache_control().unwrap_or_default().to_string();
            let sha = resp
                .metadata()
                .and_then(|m| m.get("sha256"))
                .cloned()
                .unwrap_or_default();
            let bytes = resp.body.collect().await.ok()?.into_bytes().to_vec();
            Some((bytes, ct, cc, sha))
        })
    }

    fn run(&self, site: &Site) -> Run {
        site.r2filter()
            .endpoint(&self.endpoint)
            .credentials(&self.key, &self.secret)
            .args(FLAT)
    }
}

/// A minimal HTTP/1.1 request to moto, unsigned but for an Authorization
/// header naming `service` (how moto routes a request; the free requests'
/// signatures are not checked). Returns status and body.
fn http(port: u16, method: &str, path: &str, service: &str, form: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIAMOTOSETUP/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {text}"))
        + start.len();
    let to = from + text[from..].find(end).unwrap();
    text[from..to].to_string()
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn moto_cold_run_uploads_bytes_type_and_cache_control() {
    let Some(moto) = Moto::start() else { return };
    let site = Site::new();
    let png = site.image("img/a.png", 1);
    // A PNG named .jpg: served and keyed as PNG.
    let misnamed = site.image("img/b.jpg", 2);
    let doc = "![a](img/a.png) ![b](img/b.jpg) ![a again](img/a.png)\n";
    let out = moto.run(&site).stdin(doc).run();
    let (a, b) = (sha256_hex(&png), sha256_hex(&misnamed));
    assert_eq!(
        out.success(),
        format!(
            "![a]({PUBLIC_URL}/{a}.png) ![b]({PUBLIC_URL}/{b}.png) ![a again]({PUBLIC_URL}/{a}.png)\n"
        )
    );
    for (hash, bytes) in [(&a, &png), (&b, &misnamed)] {
        let (got, ct, cc, sha) = moto.get(&format!("{hash}.png")).expect("object in moto");
        assert_eq!(&got, bytes);
        assert_eq!(ct, "image/png");
        assert_eq!(cc, "public, max-age=31536000, immutable");
        assert_eq!(&sha, hash);
    }
    assert_eq!(
        site.manifest().unwrap()["objects"]
            .as_object()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn moto_warm_run_needs_no_request() {
    let Some(moto) = Moto::start() else { return };
    let site = Site::new();
    site.image("a.png", 1);
    let cold = moto.run(&site).stdin("![a](a.png)\n").run();
    let cold = cold.success().to_string();
    let manifest = site.read("r2filter-manifest.json");
    // A lost manifest costs a refused PUT (412) and a HEAD, not a second
    // upload: moto has the object.
    std::fs::remove_file(site.path("r2filter-manifest.json")).unwrap();
    let again = moto.run(&site).stdin("![a](a.png)\n").run();
    assert_eq!(again.success(), cold);
    assert!(
        again.stderr.contains("1 already in bucket"),
        "{}",
        again.stderr
    );
    // With moto gone and no credentials, the manifest alone answers.
    let endpoint = moto.endpoint.clone();
    drop(moto);
    let warm = site
        .r2filter()
        .endpoint(&endpoint)
        .args(FLAT)
        .stdin("![a](a.png)\n")
        .run();
    assert_eq!(warm.success(), cold);
    let manifest_now = site.read("r2filter-manifest.json");
    // Same entries (upload time aside: the second run recorded it anew).
    let strip = |m: &str| {
        let mut v: serde_json::Value = serde_json::from_str(m).unwrap();
        for e in v["objects"].as_object_mut().unwrap().values_mut() {
            e.as_object_mut().unwrap().remove("uploaded");
        }
        v
    };
    assert_eq!(strip(&manifest_now), strip(&manifest));
}

#[test]
fn moto_wrong_secret_is_403_and_never_printed() {
    let Some(moto) = Moto::start() else { return };
    let site = Site::new();
    site.image("a.png", 1);
    let wrong = "moto-wrong-secret-0123456789abcdefghij";
    let out = site
        .r2filter()
        .endpoint(&moto.endpoint)
        .credentials(&moto.key, wrong)
        .stdin("![a](a.png)\n")
        .run();
    let err = out.failure(1);
    assert!(err.contains("<stdin>:1:6: uploading a.png: PUT "), "{err}");
    assert!(err.contains("HTTP 403 SignatureDoesNotMatch"), "{err}");
    assert!(err.contains("region must be `auto`"), "{err}");
    assert!(!err.contains(wrong) && !err.contains(&moto.secret), "{err}");
    assert!(site.manifest().is_none());
    // Signatures really are checked: the right secret works.
    moto.run(&site).stdin("![a](a.png)\n").run().success();
}

#[test]
fn moto_cold_run_is_one_put_per_image_and_a_lost_manifest_one_listing() {
    let Some(moto) = Moto::start() else { return };
    let site = Site::new();
    let mut doc = String::new();
    for i in 0..30 {
        site.image(&format!("img/{i}.png"), i);
        doc.push_str(&format!("![{i}](img/{i}.png)\n"));
    }
    let cold = moto.run(&site).stdin(&doc).run();
    let cold = cold.success().to_string();
    // One listing (30 pending: at least 20), then one conditional PUT each.
    assert_eq!(
        (moto.count("LIST"), moto.count("PUT"), moto.count("HEAD")),
        (1, 30, 0),
        "{:#?}",
        moto.requests()
    );
    // A lost manifest: the listing carries each object's size and MD5 ETag,
    // which match the files: no other request at all.
    std::fs::remove_file(site.path("r2filter-manifest.json")).unwrap();
    let again = moto.run(&site).stdin(&doc).run();
    assert_eq!(again.success(), cold);
    assert!(
        again.stderr.contains("30 already in bucket"),
        "{}",
        again.stderr
    );
    assert_eq!(
        (moto.count("LIST"), moto.count("PUT"), moto.count("HEAD")),
        (2, 30, 0),
        "{:#?}",
        moto.requests()
    );
}

#[test]
fn moto_refuses_a_second_put_and_a_collision_is_reported() {
    let Some(moto) = Moto::start() else { return };
    let site = Site::new();
    let bytes = site.image("a.png", 1);
    let key = format!("{}.png", sha256_hex(&bytes));
    // Another object under the key, put there by someone else.
    let client = moto.client(&moto.secret);
    moto.runtime.block_on(async {
        client
            .put_object()
            .bucket(BUCKET)
            .key(&key)
            .body(b"someone else's bytes".to_vec().into())
            .send()
            .await
            .unwrap();
    });
    let out = moto.run(&site).stdin("![a](a.png)\n").run();
    let err = out.failure(1);
    assert!(
        err.contains(&format!("key {key} already holds other bytes")),
        "{err}"
    );
    // moto honoured If-None-Match (412) and kept the other object.
    assert!(
        moto.requests()
            .contains(&format!("PUT /{BUCKET}/{key} 412")),
        "{:#?}",
        moto.requests()
    );
    assert_eq!(moto.get(&key).unwrap().0, b"someone else's bytes");
}
