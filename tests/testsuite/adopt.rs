//! Rescue (issue 23): remote images on listed hosts are downloaded, checked,
//! published and rewritten; failures are reported and kept; reruns ask
//! nobody; eject puts every URL back; `check --remote` lists dead images.
//!
//! Every request goes to the dying host of [`ImageHost`] on 127.0.0.1 (and
//! the S3 server on 127.0.0.1), with `adopt-private = true` where the host
//! must be reached; the refusal tests show it receives nothing without it.

use crate::support::*;

/// `r2filter` against `s3`, adopting from `host` (reachable: adopt-private).
fn adopting(site: &Site, s3: &S3Server, host: &ImageHost) -> Run {
    site.r2filter()
        .against(s3)
        .args(["--adopt", "http://127.0.0.1", "--adopt-private"])
        .redact("[HOST]", &host.base)
}

/// The place (line:col) of `needle` in `text`, 1-based, as r2filter says it.
fn place(text: &str, needle: &str) -> String {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in text"));
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rfind('\n').map_or(at, |nl| at - nl - 1) + 1;
    format!("{line}:{col}")
}

#[test]
fn the_dying_host_adopts_what_it_can_and_keeps_and_reports_the_rest() {
    let s3 = S3Server::start();
    let host = ImageHost::start();
    let site = Site::new();
    let u = |p: &str| host.url(p);
    let post = format!(
        "---\ncover: {cover}\n---\n# An old post\n\n\
         ![good]({img1})\n![good again]({img1}#wide)\n<img src=\"{img2}\" alt=\"html\">\n\
         ![mirror]({mirror1})\n![redirect]({redirect3})\n![liar]({liar4})\n![flaky]({flaky5})\n\
         ![five hops]({chain4})\n\
         ![loop]({loop_})\n![nine hops]({chain1})\n![elsewhere]({away6})\n![gone]({gone})\n\
         ![removed]({removed})\n![login]({login})\n![html as png]({html})\n![huge]({huge})\n\
         ![huge, chunked]({chunked})\n![slow]({slow})\n\
         ![not listed](https://example.org/never-asked.png)\n",
        cover = u("/img/8.png"),
        img1 = u("/img/1.png"),
        img2 = u("/img/2.png"),
        mirror1 = u("/mirror/1.png"),
        redirect3 = u("/redirect/3.png"),
        liar4 = u("/liar/4.png"),
        flaky5 = u("/flaky/5.png"),
        chain4 = u("/chain/4.png"),
        loop_ = u("/loop.png"),
        chain1 = u("/chain/1.png"),
        away6 = u("/away/6.png"),
        gone = u("/gone.png"),
        removed = u("/removed.png"),
        login = u("/login.png"),
        html = u("/html-as-png.png"),
        huge = u("/huge.png"),
        chunked = u("/huge-chunked.png"),
        slow = u("/slow.png"),
    );
    site.write("posts/old.md", &post);
    let out = adopting(&site, &s3, &host)
        .args(["--adopt-max-bytes", "100000", "--adopt-timeout", "1"])
        .args(["--report", "report.json", "--in-place", "posts"])
        .run();
    out.success();

    // Kept as written, each reported at its place with its reason.
    let away = format!(
        "redirected to http://localhost:{}/img/6.png, which is not on an adopted host",
        host.port
    );
    let looped = format!("a redirect loop (back to {})", u("/loop.png"));
    let kept = [
        ("/loop.png", looped.as_str()),
        ("/chain/1.png", "more than 5 redirects"),
        ("/away/6.png", away.as_str()),
        ("/gone.png", "HTTP 404: the source is gone"),
        ("/removed.png", "HTTP 410: the source is gone"),
        (
            "/login.png",
            "not an image: an HTML page (a login wall or an error page), served as text/html; charset=utf-8",
        ),
        (
            "/html-as-png.png",
            "not an image: an HTML page (a login wall or an error page), served as image/png",
        ),
        (
            "/huge.png",
            "larger than adopt-max-bytes (100000 bytes): 300000 bytes announced",
        ),
        (
            "/huge-chunked.png",
            "larger than adopt-max-bytes (100000 bytes)",
        ),
        ("/slow.png", "timed out: nothing for 1s"),
    ];
    let written = site.read("posts/old.md");
    for (path, reason) in kept {
        let url = host.url(path);
        assert!(written.contains(&format!("]({url})\n")), "{path} kept");
        let warning = format!(
            " WARN posts/old.md:{}: {url}: not adopted: {reason}; kept as written\n",
            place(&post, &url)
        );
        assert!(out.stderr.contains(&warning), "{warning}\n{}", out.stderr);
    }
    assert_eq!(out.stderr.matches(" WARN posts/").count(), 10);
    assert!(
        out.stderr.contains("r2filter: 20 references in 1 document: 7 uploaded (")
            && out.stderr.contains("), 0 from manifest, 0 already in bucket, 1 remote skipped, 9 adopted (8 downloaded), 10 not adopted (kept) in "),
        "{}",
        out.stderr
    );

    // Adopted: rewritten, the fragment kept; one object for the two URLs
    // with the same bytes (img/1 and mirror/1).
    let manifest = site.manifest().unwrap();
    let objects = manifest["objects"].as_object().unwrap();
    assert_eq!(objects.len(), 7, "{manifest:#}");
    let one = &objects[&sha256_hex(&ImageHost::image(1))];
    let origins: Vec<&String> = one["origins"].as_object().unwrap().keys().collect();
    assert_eq!(origins, [&u("/img/1.png"), &u("/mirror/1.png")]);
    // One document wrote both URLs: each of its references is ranked.
    assert_eq!(
        one["origins"],
        serde_json::json!({
            u("/img/1.png"): ["posts/old.md#1", "posts/old.md#2"],
            u("/mirror/1.png"): ["posts/old.md#3"],
        })
    );
    assert!(one.get("sources").is_none(), "no local file was published");
    let url1 = one["url"].as_str().unwrap();
    assert!(written.contains(&format!("![good]({url1})\n![good again]({url1}#wide)")));
    assert!(written.contains(&format!("![mirror]({url1})")));
    assert!(written.contains(&format!(
        "cover: {}\n",
        objects[&sha256_hex(&ImageHost::image(8))]["url"].as_str().unwrap()
    )));
    // The lying Content-Type did not matter: sniffed, stored as PNG.
    let liar = &objects[&sha256_hex(&ImageHost::image(4))];
    assert_eq!(liar["content_type"], "image/png");
    assert_eq!(
        liar["origins"],
        serde_json::json!({ u("/liar/4.png"): ["posts/old.md"] })
    );
    for n in [1, 2, 3, 4, 5, 8, 9] {
        let key = objects[&sha256_hex(&ImageHost::image(n))]["key"]
            .as_str()
            .unwrap();
        assert_eq!(s3.stored(key).unwrap(), ImageHost::image(n), "image {n}");
    }

    // What the host saw: one GET per URL, but the flaky one twice (503,
    // then the image); the huge ones once each, never retried; nothing ever
    // asked of `localhost` (not listed) or of example.org.
    let counts = host.counts();
    assert_eq!(counts["/flaky/5.png"], 2);
    assert_eq!(counts["/img/1.png"], 1);
    assert_eq!(counts["/huge.png"], 1);
    assert_eq!(counts["/away/6.png"], 1);
    assert!(!counts.contains_key("/img/6.png"), "{counts:?}");
    assert_eq!(
        counts["/chain/9.png"], 1,
        "reached from chain/4, not chain/1"
    );
    assert!(host.requests().iter().all(|r| r.method == "GET"));

    // The report lists every kept reference with its reason.
    let report: serde_json::Value = serde_json::from_str(&site.read("report.json")).unwrap();
    assert_eq!(report["ok"], true);
    let not_adopted: Vec<(String, String)> = report["references"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "not-adopted")
        .map(|r| {
            let url = r["original"].as_str().unwrap().replace(&host.base, "");
            (url, r["reason"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(not_adopted.len(), 10);
    assert_eq!(
        not_adopted[3],
        ("/gone.png".into(), "HTTP 404: the source is gone".into())
    );
    assert_eq!(report["totals"]["adopted"], 9);
    assert_eq!(report["totals"]["not_adopted"], 10);
}

#[test]
fn strict_fails_the_run_and_writes_nothing() {
    let s3 = S3Server::start();
    let host = ImageHost::start();
    let site = Site::new();
    let post = format!(
        "![a]({})\n![b]({})\n",
        host.url("/img/1.png"),
        host.url("/gone.png")
    );
    site.write("post.md", &post);
    let out = adopting(&site, &s3, &host)
        .args(["--strict", "--in-place", "post.md"])
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: post.md:2:6: [HOST]/gone.png: not adopted: HTTP 404: the source is gone
  |
2 | ![b]([HOST]/gone.png)
  |      ^[..]
  = hint: the host no longer serves it: find another copy (the Wayback Machine often has one), or remove the image; without --strict it is kept as written and the run goes on

"#]]);
    assert_eq!(site.read("post.md"), post);
    assert_eq!(s3.count("PUT"), 0, "nothing uploaded before the failure");
    assert!(site.manifest().is_none());
    // Env and config file say the same.
    let env = adopting(&site, &s3, &host)
        .env("R2FILTER_STRICT", "true")
        .args(["--in-place", "post.md"])
        .run();
    env.failure(1);
}

#[test]
fn reruns_ask_neither_the_host_nor_the_bucket_and_offline_works() {
    let s3 = S3Server::start();
    let host = ImageHost::start();
    let site = Site::new();
    let post = format!(
        "![a]({a})\n<img src=\"{b}\">\n![again]({a}#x)\n",
        a = host.url("/img/1.png"),
        b = host.url("/redirect/2.png"),
    );
    site.write("posts/a.md", &post);
    let first = adopting(&site, &s3, &host)
        .args(["posts", "--out-dir", "out"])
        .run();
    first.success();
    let output = site.read("out/a.md");
    assert!(!output.contains(&host.base), "{output}");
    assert_eq!(host.requests().len(), 3, "img/1 once, redirect/2 and img/2");
    assert_eq!(s3.count("PUT"), 2);

    // The source still names the remote URLs: a rerun finds them in the
    // manifest, and sends no request anywhere.
    host.forget();
    s3.forget_requests();
    let manifest = site.read("r2filter-manifest.json");
    let again = adopting(&site, &s3, &host)
        .args(["posts", "--out-dir", "out2"])
        .run();
    again.success();
    again.stderr_eq(str![[r#"
r2filter: 3 references in 1 document: 0 uploaded (0 B), 3 from manifest, 0 already in bucket, 0 remote skipped, 3 adopted (0 downloaded) in [ELAPSED]

"#]]);
    assert_eq!(site.read("out2/a.md"), output);
    assert_eq!(host.requests(), vec![]);
    assert_eq!(s3.requests().len(), 0);
    assert_eq!(site.read("r2filter-manifest.json"), manifest, "nothing new");

    // --offline too: no credentials, no network.
    let offline = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .args(["--adopt", "http://127.0.0.1", "--offline"])
        .stdin(&post)
        .run();
    assert_eq!(offline.success(), output);
    // A URL the manifest lacks is an error offline (nothing is fetched).
    let unknown = format!("![c]({})\n", host.url("/img/3.png"));
    let out = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .args(["--adopt", "http://127.0.0.1", "--offline"])
        .redact("[HOST]", &host.base)
        .stdin(&unknown)
        .run();
    out.failure(1);
    assert!(
        out.stderr
            .contains("is on an adopted host but not in the manifest (--offline)"),
        "{}",
        out.stderr
    );
    assert_eq!(host.requests(), vec![]);
    // `check` reads the manifest the same way: the source is all adopted.
    let check = site
        .r2filter()
        .args(["check", "posts", "--adopt", "http://127.0.0.1"])
        .args(["--bucket", BUCKET, "--endpoint", &s3.endpoint])
        .args(["--public-url", PUBLIC_URL])
        .run();
    check.success();
    assert_eq!(host.requests(), vec![]);
    // A dry run downloads nothing either.
    let dry = adopting(&site, &s3, &host)
        .args(["--dry-run"])
        .stdin(&unknown)
        .run();
    dry.success();
    assert!(dry.stdout.contains("adopt  "), "{}", dry.stdout);
    assert_eq!(host.requests(), vec![]);
}

#[test]
fn eject_puts_every_url_back_byte_for_byte_even_two_urls_with_one_object() {
    let s3 = S3Server::start();
    let host = ImageHost::start();
    let site = Site::new();
    let (img, mirror) = (host.url("/img/1.png"), host.url("/mirror/1.png"));
    let a = format!(
        "---\ncover: {img}\n---\n![one]({img}#wide) and ![the mirror]({mirror})\n\
         <img src='{mirror}' alt='x'>\n![local](img/l.png)\n"
    );
    let b = format!("![only the mirror]({mirror})\n[![zoom]({img})]({img})\n");
    site.write("posts/a.md", &a);
    site.write("posts/b.md", &b);
    // The local file has the same bytes as the remote one.
    site.write("posts/img/l.png", ImageHost::image(1));
    let out = adopting(&site, &s3, &host)
        .args(["--in-place", "posts"])
        .run();
    out.success();
    assert_eq!(s3.count("PUT"), 1, "one object for all of them");
    assert!(!site.read("posts/a.md").contains(&host.base));
    assert!(!site.read("posts/b.md").contains(&host.base));
    let manifest = site.manifest().unwrap();
    let entry = &manifest["objects"][sha256_hex(&ImageHost::image(1))];
    assert_eq!(
        entry["origins"],
        serde_json::json!({
            img.clone(): ["posts/a.md#1", "posts/a.md#2", "posts/b.md#2", "posts/b.md#3"],
            mirror.clone(): ["posts/a.md#3", "posts/a.md#4", "posts/b.md#1"],
        }),
        "{entry:#}"
    );
    assert_eq!(
        entry["sources"],
        serde_json::json!({ "posts/img/l.png": ["img/l.png"] })
    );
    std::fs::remove_file(site.path("posts/img/l.png")).unwrap();

    host.forget();
    s3.forget_requests();
    let out = site.r2filter().against(&s3).args(["eject", "posts"]).run();
    out.success();
    assert_eq!(site.read("posts/a.md"), a);
    assert_eq!(site.read("posts/b.md"), b);
    assert_eq!(host.requests(), vec![], "eject asks no remote host");
    // The local file came back from the bucket; the URLs needed nothing.
    assert_eq!(s3.count("GET"), 1);
    assert_eq!(
        std::fs::read(site.path("posts/img/l.png")).unwrap(),
        ImageHost::image(1)
    );
    assert!(
        out.stderr.contains("r2filter eject: 1 reference back to local paths, 7 back to their remote URLs; 1 file restored ("),
        "{}",
        out.stderr
    );
}

#[test]
fn migrate_has_nothing_to_delete_for_adopted_images() {
    let s3 = S3Server::start();
    let host = ImageHost::start();
    let site = Site::new();
    site.write("posts/a.md", format!("![a]({})\n", host.url("/img/1.png")));
    site.image("posts/b.png", 2);
    site.write("posts/b.md", "![b](b.png)\n");
    let out = adopting(&site, &s3, &host)
        .args(["migrate", "posts", "--delete"])
        .run();
    out.success();
    assert!(!site.path("posts/b.png").exists(), "the local image goes");
    assert_eq!(tree(&site.path("posts")), ["a.md", "b.md"]);
    assert!(!site.read("posts/a.md").contains(&host.base));
}

#[test]
fn without_adopt_private_the_loopback_host_is_refused_and_asked_nothing() {
    let s3 = S3Server::start();
    let host = ImageHost::start();
    let site = Site::new();
    let by_ip = host.url("/img/1.png");
    let by_name = format!("http://localhost:{}/img/2.png", host.port);
    let post = format!("![ip]({by_ip})\n![name]({by_name})\n");
    site.write("post.md", &post);
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--adopt", "http://127.0.0.1,http://localhost"])
        .args(["--in-place", "post.md", "--report", "report.json"])
        .redact("[HOST]", &host.base)
        .run();
    out.success();
    assert_eq!(site.read("post.md"), post, "kept as written");
    assert_eq!(host.requests(), vec![], "the host received no request");
    let report: serde_json::Value = serde_json::from_str(&site.read("report.json")).unwrap();
    let reasons: Vec<&str> = report["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    // The literal address before any request; the name after resolving it
    // (localhost is ::1 or 127.0.0.1, both loopback), before connecting.
    assert_eq!(
        reasons[0],
        "refused address 127.0.0.1 of 127.0.0.1: loopback (set adopt-private = true to allow it)"
    );
    assert!(
        reasons[1].starts_with("refused address ")
            && reasons[1]
                .ends_with(" of localhost: loopback (set adopt-private = true to allow it)"),
        "{}",
        reasons[1]
    );
    // Through the environment, allowed: both come.
    let open = site
        .r2filter()
        .against(&s3)
        .env("R2FILTER_ADOPT", "http://127.0.0.1,http://localhost")
        .env("R2FILTER_ADOPT_PRIVATE", "true")
        .args(["--in-place", "post.md"])
        .run();
    open.success();
    assert_eq!(host.requests().len(), 2);
    assert!(!site.read("post.md").contains("/img/"));
}

#[test]
fn check_remote_lists_dead_images_with_their_places() {
    let host = ImageHost::start();
    let site = Site::new();
    let post = format!(
        "![ok]({ok})\n<img src=\"{nohead}\">\n![gone]({gone})\n\n![removed]({removed})\n![ok again]({ok}#x)\n",
        ok = host.url("/img/1.png"),
        nohead = host.url("/nohead/2.png"),
        gone = host.url("/gone.png"),
        removed = host.url("/removed.png"),
    );
    site.write("posts/a.md", &post);
    let out = site
        .r2filter()
        .args(["check", "--remote", "--adopt-private", "posts"])
        .args(["--local-store", "bucket"])
        .redact("[HOST]", &host.base)
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
r2filter: read as a commonmark site (nothing matched); math off; hugo-shortcodes off; hexo-tags off; wikilinks off
error: posts/a.md:3:9: [HOST]/gone.png: HTTP 404
  |
3 | ![gone]([HOST]/gone.png)
  |         ^[..]
  = hint: readers see a broken image: replace or remove it; if its host is dying, list the host in `adopt` (with the image still up) so r2filter keeps a copy
error: posts/a.md:5:12: [HOST]/removed.png: HTTP 410
  |
5 | ![removed]([HOST]/removed.png)
  |            ^[..]
  = hint: readers see a broken image: replace or remove it; if its host is dying, list the host in `adopt` (with the image still up) so r2filter keeps a copy
error: 2 references failed; nothing was written

"#]]);
    // Each URL once, HEAD first; the one that refuses HEAD gets a GET.
    let mut seen: Vec<(String, String)> = host
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("GET", "/nohead/2.png"),
            ("HEAD", "/gone.png"),
            ("HEAD", "/img/1.png"),
            ("HEAD", "/nohead/2.png"),
            ("HEAD", "/removed.png"),
        ]
        .map(|(m, p)| (m.to_string(), p.to_string()))
    );
    // Without adopt-private the loopback host is refused, and asked nothing.
    host.forget();
    let refused = site
        .r2filter()
        .args(["check", "--remote", "posts", "--local-store", "bucket"])
        .run();
    refused.failure(1);
    assert!(refused.stderr.contains("refused address 127.0.0.1"));
    assert_eq!(host.requests(), vec![]);
    // All alive: a summary line.
    site.write("posts/a.md", format!("![ok]({})\n", host.url("/img/1.png")));
    let ok = site
        .r2filter()
        .args(["check", "--remote", "--adopt-private", "posts"])
        .args(["--local-store", "bucket"])
        .run();
    ok.success();
    ok.stderr_eq(str![[r#"
r2filter: read as a commonmark site (nothing matched); math off; hugo-shortcodes off; hexo-tags off; wikilinks off
r2filter check: 0 local image references in 1 document: all on disk and in [ROOT]/r2filter-manifest.json
r2filter check --remote: 1 remote image reference (1 URL): all answered

"#]]);
}

#[test]
fn a_book_to_adopt_is_handed_to_r2filter_and_a_warm_one_is_not() {
    let s3 = S3Server::start();
    let host = ImageHost::start();
    let book = Book::new();
    let chapter = book.src("README.md");
    let mut text = std::fs::read_to_string(&chapter).unwrap();
    text.push_str(&format!("\n![rescued]({})\n", host.url("/img/5.png")));
    std::fs::write(&chapter, &text).unwrap();
    // The lean binary alone in a folder, nothing on PATH: it cannot adopt.
    let alone = book.dir.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    let lean = alone.join("mdbook-r2filter");
    std::fs::copy(mdbook_r2filter(), &lean).unwrap();
    let script = book.dir.path().join("lean.sh");
    std::fs::write(
        &script,
        format!(
            "exec env -i HOME='{home}' AWS_CONFIG_FILE='{home}/none' AWS_SHARED_CREDENTIALS_FILE='{home}/none' \
             AWS_EC2_METADATA_DISABLED=true NO_COLOR=1 AWS_ACCESS_KEY_ID={ACCESS_KEY} \
             AWS_SECRET_ACCESS_KEY={SECRET_KEY} '{}' \"$@\" 2>>'{}'\n",
            lean.display(),
            book.stderr_log().display(),
            home = book.dir.path().display(),
        ),
    )
    .unwrap();
    let command = format!("sh '{}'", script.display());
    book.configure(&s3, Via::Binary, &[("command", &command)]);
    // adopt = [...] and adopt-private = true in book.toml.
    let path = book.root.join("book.toml");
    let mut doc: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let table = doc["preprocessor"]["r2filter"].as_table_mut().unwrap();
    table.insert(
        "adopt".into(),
        toml::Value::Array(vec!["http://127.0.0.1".into()]),
    );
    table.insert("adopt-private".into(), toml::Value::Boolean(true));
    std::fs::write(&path, toml::to_string(&doc).unwrap()).unwrap();

    let err = book.build().unwrap_err();
    assert!(
        book.stderr()
            .contains("mdbook-r2filter hands uploads and downloads to the `r2filter` program"),
        "{err}"
    );
    assert_eq!(host.requests(), vec![], "the lean binary asks no host");

    // With r2filter beside it, the build is handed over and adopts.
    std::fs::copy(R2FILTER, alone.join("r2filter")).unwrap();
    book.build().unwrap();
    assert_eq!(host.counts()["/img/5.png"], 1);
    let url = {
        let m: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(book.root.join("r2filter-manifest.json")).unwrap(),
        )
        .unwrap();
        m["objects"][sha256_hex(&ImageHost::image(5))]["url"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(book.html("index.html").contains(&url));

    // Warm: the lean binary answers alone, asking nobody.
    std::fs::remove_file(alone.join("r2filter")).unwrap();
    host.forget();
    s3.forget_requests();
    book.build().unwrap();
    assert_eq!(host.requests(), vec![]);
    assert_eq!(s3.requests().len(), 0);
    assert!(book.html("index.html").contains(&url));
}

#[test]
fn our_own_objects_are_never_adopted_even_on_a_listed_host() {
    let host = ImageHost::start();
    let site = Site::new();
    // The public URL is on the listed host: its URLs are ours already.
    let public = host.url("/bucket");
    let post = format!(
        "![new]({})\n![ours]({public}/2026/11/abc.png)\n",
        host.url("/img/1.png")
    );
    site.write("post.md", &post);
    let run = |input: &str| {
        site.r2filter()
            .args(["--adopt", "http://127.0.0.1", "--adopt-private"])
            .args(["--local-store", "bucket", "--public-url", &public])
            .stdin(input)
            .run()
    };
    let out = run(&post);
    let output = out.success().to_string();
    assert_eq!(host.counts().keys().collect::<Vec<_>>(), ["/img/1.png"]);
    assert!(output.ends_with(&format!("![ours]({public}/2026/11/abc.png)\n")));
    // Its own output, again: nothing to fetch, nothing changes.
    host.forget();
    assert_eq!(run(&output).success(), output);
    assert_eq!(host.requests(), vec![]);
}
