//! Site profiles: what kind of site a root is, read from its own files, and
//! the syntax that kind of site reads.
//!
//! A site is defined by its own pipeline, not by the CommonMark spec: a
//! Next.js blog that lists remark-math reads `$…$` as math, Hugo has its
//! `figure` shortcode, Hexo its asset tags, an Obsidian vault its `![[…]]`
//! embeds. [`detect`] names the kind from the files at the root (the first
//! rule that matches, in the order of [`SiteKind`]); `site = "…"` overrides
//! it. [`Profile::new`] then turns on the switches that kind reads; each
//! switch set on its own (`math`, `hugo-shortcodes`, `hexo-tags`,
//! `wikilinks`) wins over the profile. `docs/src/profiles.md` is the table
//! of these rules.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The kinds of site r2filter knows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum SiteKind {
    /// Next.js (@next/mdx, next-mdx-remote, Contentlayer, Velite, Fumadocs).
    Nextjs,
    /// Hugo.
    Hugo,
    /// Hexo.
    Hexo,
    /// mdBook.
    Mdbook,
    /// An Obsidian vault, or a site built from one by Quartz.
    Obsidian,
    /// Docusaurus.
    Docusaurus,
    /// Astro.
    Astro,
    /// Plain CommonMark (and MDX for `.mdx`): nothing site-specific.
    Commonmark,
}

impl SiteKind {
    pub fn name(self) -> &'static str {
        match self {
            SiteKind::Nextjs => "nextjs",
            SiteKind::Hugo => "hugo",
            SiteKind::Hexo => "hexo",
            SiteKind::Mdbook => "mdbook",
            SiteKind::Obsidian => "obsidian",
            SiteKind::Docusaurus => "docusaurus",
            SiteKind::Astro => "astro",
            SiteKind::Commonmark => "commonmark",
        }
    }
}

impl std::fmt::Display for SiteKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A site kind and the file that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub kind: SiteKind,
    /// What was found, e.g. `package.json lists next`; `nothing matched`.
    pub evidence: String,
}

/// package.json dependencies that make a Next.js site (`fumadocs-` is a
/// prefix).
const NEXTJS_DEPS: &[&str] = &[
    "next",
    "@next/mdx",
    "contentlayer2",
    "contentlayer",
    "next-contentlayer2",
    "next-mdx-remote",
    "velite",
    "fumadocs-",
];

/// Keys of a `config.toml` that only Hugo's has.
const HUGO_KEYS: &[&str] = &[
    "baseURL",
    "baseurl",
    "languageCode",
    "theme",
    "contentDir",
    "publishDir",
    "enableRobotsTXT",
    "markup",
    "taxonomies",
];

/// The kind of site `root` is, from its own files: the first that matches
/// of mdBook (`book.toml`), Obsidian (`.obsidian/`, Quartz's
/// `quartz.config.ts`), Hugo (`hugo.toml|yaml|yml|json`, or a `config.toml`
/// with Hugo's keys), Docusaurus (`docusaurus.config.*`), Astro
/// (`astro.config.*`), Next.js (package.json lists `next`, `@next/mdx`,
/// Contentlayer, `next-mdx-remote`, Velite or `fumadocs-*`), Hexo
/// (`_config.yml` and `hexo` in package.json), else CommonMark.
pub fn detect(root: &Path) -> Detected {
    let found = |kind: SiteKind, evidence: String| Detected { kind, evidence };
    if root.join("book.toml").is_file() {
        return found(SiteKind::Mdbook, "book.toml".into());
    }
    if root.join(".obsidian").is_dir() {
        return found(SiteKind::Obsidian, ".obsidian/".into());
    }
    if root.join("quartz.config.ts").is_file() {
        return found(SiteKind::Obsidian, "quartz.config.ts (Quartz)".into());
    }
    if let Some(file) = hugo_config(root) {
        return found(SiteKind::Hugo, file);
    }
    for (kind, stem) in [
        (SiteKind::Docusaurus, "docusaurus.config"),
        (SiteKind::Astro, "astro.config"),
    ] {
        if let Some(file) = config_file(root, stem) {
            return found(kind, file);
        }
    }
    let package = Package::read(root);
    if let Some(dep) = NEXTJS_DEPS.iter().find_map(|d| package.find(d)) {
        return found(SiteKind::Nextjs, format!("package.json lists {dep}"));
    }
    if root.join("_config.yml").is_file()
        && let Some(dep) = package.find("hexo")
    {
        return found(
            SiteKind::Hexo,
            format!("_config.yml, and package.json lists {dep}"),
        );
    }
    found(SiteKind::Commonmark, "nothing matched".into())
}

/// `stem.js|mjs|cjs|ts|mts` at `root`, if there is one.
fn config_file(root: &Path, stem: &str) -> Option<String> {
    ["js", "mjs", "cjs", "ts", "mts"]
        .iter()
        .map(|ext| format!("{stem}.{ext}"))
        .find(|name| root.join(name).is_file())
}

/// Hugo's configuration file at `root` (or under `config/_default/`).
fn hugo_config(root: &Path) -> Option<String> {
    for dir in ["", "config/_default/"] {
        for ext in ["toml", "yaml", "yml", "json"] {
            let name = format!("{dir}hugo.{ext}");
            if root.join(&name).is_file() {
                return Some(name);
            }
        }
    }
    // `config.toml` is also other tools' name: only with Hugo's own keys.
    for name in ["config.toml", "config/_default/config.toml"] {
        let Ok(text) = std::fs::read_to_string(root.join(name)) else {
            continue;
        };
        let Ok(table) = text.parse::<toml::Table>() else {
            continue;
        };
        if let Some(key) = HUGO_KEYS.iter().find(|k| table.contains_key(**k)) {
            return Some(format!("{name} (with Hugo's `{key}`)"));
        }
    }
    None
}

/// The dependency names of a package.json (all four kinds of dependencies).
#[derive(Default)]
struct Package {
    deps: Vec<String>,
}

impl Package {
    fn read(root: &Path) -> Package {
        let Ok(text) = std::fs::read_to_string(root.join("package.json")) else {
            return Package::default();
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            return Package::default();
        };
        let deps = [
            "dependencies",
            "devDependencies",
            "peerDependencies",
            "optionalDependencies",
        ]
        .iter()
        .filter_map(|k| json.get(k)?.as_object())
        .flat_map(|m| m.keys().cloned())
        .collect();
        Package { deps }
    }

    /// The dependency named `name` (a prefix when it ends with `-`).
    fn find(&self, name: &str) -> Option<String> {
        self.deps
            .iter()
            .find(|d| match name.strip_suffix('-') {
                Some(_) => d.starts_with(name),
                None => *d == name,
            })
            .cloned()
    }
}

/// Why a switch has its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "by", content = "reason")]
pub enum Why {
    /// Set in a flag, the environment or the config file.
    Setting,
    /// The profile turned it on (the reason: what of the site says so).
    Profile(String),
    /// Off: nothing turned it on.
    Default,
}

/// A switch's value and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Switch<T> {
    pub value: T,
    pub why: Why,
}

impl<T> Switch<T> {
    fn pick(setting: Option<T>, profile: Option<(T, String)>, default: T) -> Switch<T> {
        match (setting, profile) {
            (Some(value), _) => Switch {
                value,
                why: Why::Setting,
            },
            (None, Some((value, reason))) => Switch {
                value,
                why: Why::Profile(reason),
            },
            (None, None) => Switch {
                value: default,
                why: Why::Default,
            },
        }
    }
}

/// Hugo's built-in image shortcode and its image parameter.
pub const HUGO_FIGURE: (&str, &str) = ("figure", "src");

/// What the site is and the syntax it is read with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub site: SiteKind,
    /// `site = "…"` when set, else what [`detect`] found.
    pub detected_from: String,
    /// remark-math's `$…$` / `$$…$$`.
    pub math: Switch<bool>,
    /// Shortcode name → its image parameter (empty: none looked at).
    pub hugo_shortcodes: Switch<BTreeMap<String, String>>,
    /// Hexo's asset tags.
    pub hexo_tags: Switch<bool>,
    /// Obsidian's `![[…]]` embeds.
    pub wikilinks: Switch<bool>,
}

/// The switches as set (None: unset), before the profile fills them.
#[derive(Debug, Clone, Default)]
pub struct Switches {
    pub site: Option<SiteKind>,
    pub math: Option<bool>,
    pub hugo_shortcodes: Option<BTreeMap<String, String>>,
    pub hexo_tags: Option<bool>,
    pub wikilinks: Option<bool>,
}

impl Profile {
    /// The profile of the site at `root`: `set.site`, or the detected kind;
    /// its switches, each overridden by the one set.
    pub fn new(root: &Path, set: Switches) -> Profile {
        let (site, detected_from) = match set.site {
            Some(kind) => (kind, format!("site = \"{kind}\"")),
            None => {
                let d = detect(root);
                (d.kind, d.evidence)
            }
        };
        let on = |why: &str| Some((true, why.to_string()));
        let math = match site {
            SiteKind::Nextjs | SiteKind::Docusaurus | SiteKind::Astro => {
                Package::read(root).find("remark-math").map(|_| {
                    (
                        true,
                        "this site lists remark-math in package.json".to_string(),
                    )
                })
            }
            SiteKind::Obsidian => on("Obsidian and Quartz read $…$ and $$…$$ as math"),
            SiteKind::Mdbook => mdbook_math(root),
            SiteKind::Hugo | SiteKind::Hexo | SiteKind::Commonmark => None,
        };
        let hugo_shortcodes = Switch::pick(
            set.hugo_shortcodes.map(|mut listed| {
                if site == SiteKind::Hugo {
                    listed
                        .entry(HUGO_FIGURE.0.into())
                        .or_insert_with(|| HUGO_FIGURE.1.into());
                }
                // `name = ""` turns a shortcode off.
                listed.retain(|_, param| !param.is_empty());
                listed
            }),
            (site == SiteKind::Hugo).then(|| {
                let figure = BTreeMap::from([(HUGO_FIGURE.0.into(), HUGO_FIGURE.1.into())]);
                (figure, "Hugo's built-in figure shortcode".to_string())
            }),
            BTreeMap::new(),
        );
        Profile {
            site,
            detected_from,
            math: Switch::pick(set.math, math, false),
            hugo_shortcodes,
            hexo_tags: Switch::pick(
                set.hexo_tags,
                (site == SiteKind::Hexo).then(|| (true, "Hexo's asset tags".to_string())),
                false,
            ),
            wikilinks: Switch::pick(
                set.wikilinks,
                (site == SiteKind::Obsidian).then(|| (true, "Obsidian's ![[…]] embeds".into())),
                false,
            ),
        }
    }

    /// One line for `-v` and `check`: the site, why, and each switch.
    pub fn describe(&self) -> String {
        let onoff = |b: bool| if b { "on" } else { "off" };
        let why = |w: &Why| match w {
            Why::Setting => " (set)".to_string(),
            Why::Profile(reason) => format!(" ({reason})"),
            Why::Default => String::new(),
        };
        let shortcodes = if self.hugo_shortcodes.value.is_empty() {
            "off".to_string()
        } else {
            let list: Vec<String> = self
                .hugo_shortcodes
                .value
                .iter()
                .map(|(k, v)| format!("{k}.{v}"))
                .collect();
            list.join(", ")
        };
        format!(
            "read as a {} site ({}); math {}{}; hugo-shortcodes {}{}; hexo-tags {}{}; wikilinks {}{}",
            self.site,
            self.detected_from,
            onoff(self.math.value),
            why(&self.math.why),
            shortcodes,
            why(&self.hugo_shortcodes.why),
            onoff(self.hexo_tags.value),
            why(&self.hexo_tags.why),
            onoff(self.wikilinks.value),
            why(&self.wikilinks.why),
        )
    }

    /// What a refused document's hint says about how it was read: the
    /// profile, and the switch that would read it differently.
    pub fn reading(&self) -> String {
        let math = match (&self.math.why, self.math.value) {
            (Why::Profile(reason), true) => format!("{reason}, so math is on"),
            (Why::Setting, true) => "math = true, so $…$ and $$…$$ are math".into(),
            (Why::Setting, false) => {
                "math = false; set math = true if the site uses remark-math".into()
            }
            (_, _) => "math is off; set math = true if the site uses remark-math".into(),
        };
        format!(
            "read as a {} site ({}); {math}",
            self.site, self.detected_from
        )
    }
}

/// mdBook reads `$…$` as math only through a math preprocessor: mdBook's
/// own parser has no math option (`output.html.mathjax-support` uses
/// `\\(…\\)`, which is Markdown), so math is on when book.toml has
/// `[preprocessor.katex]` (mdbook-katex, `$`/`$$` by default).
fn mdbook_math(root: &Path) -> Option<(bool, String)> {
    let text = std::fs::read_to_string(root.join("book.toml")).ok()?;
    let table: toml::Table = text.parse().ok()?;
    table
        .get("preprocessor")?
        .get("katex")
        .map(|_| (true, "book.toml has [preprocessor.katex]".to_string()))
}

/// The `hugo-shortcodes` setting: shortcode name → its image parameter (a
/// table in TOML, `NAME=PARAM,…` as a flag or in the environment).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Shortcodes(pub BTreeMap<String, String>);

impl std::str::FromStr for Shortcodes {
    type Err = String;
    fn from_str(text: &str) -> Result<Shortcodes, String> {
        parse_shortcodes(text).map(Shortcodes)
    }
}

/// `name=param,name=param` (a flag or `R2FILTER_HUGO_SHORTCODES`).
pub fn parse_shortcodes(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, param)) = pair.split_once('=') else {
            return Err(format!(
                "{pair:?}: write NAME=PARAM, e.g. img=src (several: img=src,gallery=cover)"
            ));
        };
        out.insert(name.trim().to_string(), param.trim().to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn each_kind_from_its_files() {
        let cases: &[(&[(&str, &str)], SiteKind)] = &[
            (&[("book.toml", "[book]\n")], SiteKind::Mdbook),
            (&[(".obsidian/app.json", "{}")], SiteKind::Obsidian),
            (&[("quartz.config.ts", "")], SiteKind::Obsidian),
            (&[("hugo.toml", "")], SiteKind::Hugo),
            (&[("config/_default/hugo.yaml", "")], SiteKind::Hugo),
            (&[("config.toml", "baseURL = 'x'\n")], SiteKind::Hugo),
            (&[("config.toml", "name = 'x'\n")], SiteKind::Commonmark),
            (&[("docusaurus.config.ts", "")], SiteKind::Docusaurus),
            (&[("astro.config.mjs", "")], SiteKind::Astro),
            (
                &[("package.json", r#"{"dependencies": {"next": "15"}}"#)],
                SiteKind::Nextjs,
            ),
            (
                &[(
                    "package.json",
                    r#"{"devDependencies": {"fumadocs-mdx": "1"}}"#,
                )],
                SiteKind::Nextjs,
            ),
            (
                &[
                    ("_config.yml", ""),
                    ("package.json", r#"{"dependencies": {"hexo": "7"}}"#),
                ],
                SiteKind::Hexo,
            ),
            (
                &[("package.json", r#"{"dependencies": {"hexo": "7"}}"#)],
                SiteKind::Commonmark,
            ),
            (&[("package.json", "not json")], SiteKind::Commonmark),
            (&[], SiteKind::Commonmark),
        ];
        for (files, kind) in cases {
            assert_eq!(detect(site(files).path()).kind, *kind, "{files:?}");
        }
    }

    #[test]
    fn a_profile_turns_on_what_its_site_reads_and_a_setting_wins() {
        let next = site(&[(
            "package.json",
            r#"{"dependencies": {"next": "15", "remark-math": "6"}}"#,
        )]);
        let p = Profile::new(next.path(), Switches::default());
        assert_eq!(p.site, SiteKind::Nextjs);
        assert!(p.math.value);
        assert!(p.reading().contains("this site lists remark-math"));
        let p = Profile::new(
            next.path(),
            Switches {
                math: Some(false),
                ..Switches::default()
            },
        );
        assert!(!p.math.value);
        assert!(p.reading().contains("set math = true"), "{}", p.reading());

        let hugo = site(&[("hugo.toml", "")]);
        let p = Profile::new(hugo.path(), Switches::default());
        assert_eq!(p.hugo_shortcodes.value.get("figure").unwrap(), "src");
        assert!(!p.math.value && !p.hexo_tags.value && !p.wikilinks.value);
        let p = Profile::new(
            hugo.path(),
            Switches {
                hugo_shortcodes: Some(BTreeMap::from([("img".into(), "src".into())])),
                ..Switches::default()
            },
        );
        assert_eq!(p.hugo_shortcodes.value.len(), 2, "figure stays on");
        let p = Profile::new(
            hugo.path(),
            Switches {
                site: Some(SiteKind::Commonmark),
                ..Switches::default()
            },
        );
        assert!(p.hugo_shortcodes.value.is_empty());
        assert_eq!(p.detected_from, "site = \"commonmark\"");

        let vault = site(&[(".obsidian/app.json", "{}")]);
        let p = Profile::new(vault.path(), Switches::default());
        assert!(p.wikilinks.value && p.math.value);

        let book = site(&[("book.toml", "[preprocessor.katex]\n")]);
        assert!(Profile::new(book.path(), Switches::default()).math.value);
        let book = site(&[("book.toml", "[output.html]\nmathjax-support = true\n")]);
        assert!(!Profile::new(book.path(), Switches::default()).math.value);
    }

    #[test]
    fn shortcodes_from_text() {
        assert_eq!(
            parse_shortcodes("img=src, gallery = cover").unwrap(),
            BTreeMap::from([
                ("img".into(), "src".into()),
                ("gallery".into(), "cover".into())
            ])
        );
        assert!(parse_shortcodes("img").is_err());
    }
}
