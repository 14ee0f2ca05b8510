//! The book's reference pages, made from the code's own definitions:
//!
//! - `docs/src/reference/settings.md`: each setting's flag, `R2FILTER_*`
//!   variable, shown default and help from its clap argument
//!   ([`Settings::args`]), its r2filter.toml / book.toml key from serde, the
//!   config-file-only ones from [`FILE_ONLY`], grouped by `--help` heading;
//! - `docs/src/reference/commands.md`: which commands take which settings
//!   ([`help::TAKEN_BY`]), and each command's usage, own options and
//!   examples from the command tree `--help` shows ([`super::command`]).
//!
//! Each page holds the text between [`BEGIN`] and [`END`];
//! tests/testsuite/docs.rs fails when it differs from what the code says,
//! and `SNAPSHOTS=overwrite` rewrites it.

use std::fmt::Write as _;

use clap::{Arg, ArgAction, Command};

use super::help;
use crate::config::{FILE_ONLY, Settings};

/// The line before the generated part of a page.
pub const BEGIN: &str = "<!-- Generated from the code (src/config.rs, src/cli/): edit the code, not \
                         this part, then `SNAPSHOTS=overwrite cargo test --test testsuite docs::` -->";
/// The line after it.
pub const END: &str = "<!-- End of the generated part -->";

/// One setting, as the reference shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key in r2filter.toml and book.toml.
    pub key: String,
    pub heading: Option<String>,
    pub help: String,
    /// `--bucket <NAME>`; None for a config-file-only setting.
    pub flag: Option<String>,
    pub env: Option<String>,
    pub default: Option<String>,
    /// The values it takes, when it names them, with what each does.
    pub values: Vec<(String, Option<String>)>,
}

/// The config file's keys as serde reads them (kebab-case), in field order;
/// their snake_case aliases left out.
pub fn keys() -> Vec<&'static str> {
    use serde::de::{self, Visitor};
    /// A deserializer that only notes the field names it is asked for.
    struct Fields<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Fields<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("field names only"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("field names only"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = <Settings as serde::Deserialize>::deserialize(Fields(&mut fields));
    // serde lists the aliases too; `rename_all = "kebab-case"` keys have no `_`.
    fields
        .iter()
        .copied()
        .filter(|f| !f.contains('_'))
        .collect()
}

/// The config-file key of a setting's argument.
pub fn key_of(arg: &Arg) -> String {
    arg.get_id().as_str().replace('_', "-")
}

/// Every setting: those with a flag, then the config-file-only ones.
pub fn entries() -> Vec<Entry> {
    let mut out: Vec<Entry> = Settings::args()
        .iter()
        .map(|a| Entry {
            key: key_of(a),
            heading: a.get_help_heading().map(str::to_string),
            help: help_text(a),
            flag: flag(a),
            env: a.get_env().map(|e| e.to_string_lossy().into_owned()),
            default: default(a),
            values: a
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| {
                    (
                        v.get_name().to_string(),
                        v.get_help().map(|h| h.to_string()),
                    )
                })
                .collect(),
        })
        .collect();
    out.extend(FILE_ONLY.iter().map(|f| Entry {
        key: f.key.to_string(),
        heading: Some(f.heading.to_string()),
        help: f.help.to_string(),
        flag: None,
        env: None,
        default: Some((f.default)()),
        values: Vec::new(),
    }));
    out
}

fn help_text(a: &Arg) -> String {
    a.get_long_help()
        .or(a.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default()
}

fn default(a: &Arg) -> Option<String> {
    let values: Vec<String> = a
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(" "))
}

/// `-j, --concurrency <N>`, `--hexo-tags[=<BOOL>]`, `--in-place`, `[PATH]...`.
pub fn flag(a: &Arg) -> Option<String> {
    let name = a
        .get_value_names()
        .and_then(|v| v.first())
        .map_or_else(|| a.get_id().as_str().to_uppercase(), |v| v.to_string());
    let many = matches!(a.get_action(), ArgAction::Append);
    let Some(long) = a.get_long() else {
        if !a.is_positional() {
            return None;
        }
        let dots = if many { "..." } else { "" };
        return Some(if a.is_required_set() {
            format!("<{name}>{dots}")
        } else {
            format!("[{name}]{dots}")
        });
    };
    let mut f = match a.get_short() {
        Some(c) => format!("-{c}, --{long}"),
        None => format!("--{long}"),
    };
    if a.get_action().takes_values() {
        if a.get_num_args().is_some_and(|n| n.min_values() == 0) {
            let _ = write!(f, "[=<{name}>]");
        } else {
            let _ = write!(f, " <{name}>");
        }
    }
    Some(f)
}

/// `text` for Markdown prose: `<` and `>` outside code spans escaped (help
/// texts say `https://<ID>.…`), and `|` too in a table cell.
fn md(text: &str, cell: bool) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part);
            continue;
        }
        for c in part.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '|' if cell => out.push_str("\\|"),
                '\n' => out.push(' '),
                c => out.push(c),
            }
        }
    }
    out
}

/// A help text as a sentence.
fn sentence(text: &str) -> String {
    let t = md(text.trim(), false);
    if t.ends_with(['.', '!', '?']) {
        t
    } else {
        format!("{t}.")
    }
}

fn code(text: &str) -> String {
    format!("`{text}`")
}

/// The commands that take the settings under `heading`, as prose.
fn takers(heading: &str) -> String {
    let commands: Vec<String> = help::TAKEN_BY
        .iter()
        .find(|(h, _)| *h == heading)
        .map(|(_, c)| c.iter().map(|c| code(c)).collect())
        .unwrap_or_default();
    match commands.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => "no command".into(),
    }
}

/// The generated part of `docs/src/reference/settings.md`.
pub fn settings_page() -> String {
    let entries = entries();
    let mut out = String::new();
    out.push_str("| setting | flag | environment | default |\n|---|---|---|---|\n");
    let ordered: Vec<&Entry> = help::TAKEN_BY
        .iter()
        .flat_map(|(h, _)| entries.iter().filter(|e| e.heading.as_deref() == Some(*h)))
        .collect();
    for e in &ordered {
        let _ = writeln!(
            out,
            "| [`{key}`](#{key}) | {} | {} | {} |",
            e.flag.as_deref().map_or("—".into(), |f| md(&code(f), true)),
            e.env.as_deref().map_or("—".into(), code),
            e.default
                .as_deref()
                .map_or("—".into(), |d| md(&code(d), true)),
            key = e.key,
        );
    }
    for (heading, _) in help::TAKEN_BY {
        let under: Vec<&&Entry> = ordered
            .iter()
            .filter(|e| e.heading.as_deref() == Some(*heading))
            .collect();
        if under.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "\n## {heading}\n\nTaken by {} ([which command takes what](commands.md#which-settings-each-command-takes)).\n",
            takers(heading)
        );
        for e in under {
            out.push_str(&entry(e));
        }
    }
    out
}

/// One setting's section.
fn entry(e: &Entry) -> String {
    let mut out = format!("\n### `{}`\n\n{}\n\n", e.key, sentence(&e.help));
    let lines = [
        (
            "flag",
            e.flag
                .as_deref()
                .map_or("none: config file only".into(), code),
        ),
        ("environment", e.env.as_deref().map_or("none".into(), code)),
        ("r2filter.toml, book.toml", code(&e.key)),
        ("default", e.default.as_deref().map_or("none".into(), code)),
    ];
    for (label, value) in lines {
        let _ = writeln!(out, "- {label}: {}", md(&value, false));
    }
    for (i, (value, help)) in e.values.iter().enumerate() {
        if i == 0 {
            out.push_str("- values:\n");
        }
        let _ = match help {
            Some(h) => writeln!(out, "  - `{value}`: {}", sentence(h)),
            None => writeln!(out, "  - `{value}`"),
        };
    }
    out
}

/// The command tree as the reference shows it: built (global flags
/// propagated, usage known), `help` left out.
fn commands() -> Command {
    let mut cmd = super::command();
    cmd.build();
    cmd
}

/// The generated part of `docs/src/reference/commands.md`.
pub fn commands_page() -> String {
    let mut out = String::from("## Which settings each command takes\n\n| settings |");
    for c in help::COMMANDS {
        let _ = write!(out, " `{c}` |");
    }
    out.push_str("\n|---|");
    out.push_str(&":-:|".repeat(help::COMMANDS.len()));
    out.push('\n');
    let entries = entries();
    let with_settings = help::TAKEN_BY
        .iter()
        .filter(|(h, _)| entries.iter().any(|e| e.heading.as_deref() == Some(*h)));
    for (heading, takers) in with_settings {
        let anchor = heading.to_lowercase().replace(' ', "-");
        let _ = write!(out, "| [{heading}](settings.md#{anchor}) |");
        for c in help::COMMANDS {
            out.push_str(if takers.contains(c) { " ✓ |" } else { " |" });
        }
        out.push('\n');
    }
    let mut cmd = commands();
    out.push_str(&command_section(&mut cmd, "r2filter"));
    for sub in cmd.get_subcommands_mut().filter(|s| s.get_name() != "help") {
        let name = sub.get_name().to_string();
        out.push_str(&command_section(sub, &name));
    }
    out
}

/// One command's section: what it does, its usage, its options (the
/// settings it takes by heading), its examples.
fn command_section(cmd: &mut Command, name: &str) -> String {
    let title = if name == "r2filter" {
        "r2filter".to_string()
    } else {
        format!("r2filter {name}")
    };
    let about = cmd
        .get_long_about()
        .or(cmd.get_about())
        .map(|a| a.to_string())
        .unwrap_or_default();
    let usage = cmd.render_usage().to_string();
    let mut out = format!(
        "\n## `{title}`\n\n{}\n\n```text\n{}\n```\n\n",
        about
            .split("\n\n")
            .map(sentence)
            .collect::<Vec<_>>()
            .join("\n\n"),
        usage.trim()
    );
    out.push_str("| option | what it does |\n|---|---|\n");
    for a in cmd.get_arguments().filter(|a| shown_own(a)) {
        let _ = writeln!(
            out,
            "| {} | {} |",
            md(&code(&flag(a).unwrap_or_default()), true),
            md(&own_help(a), true)
        );
    }
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        let words: Vec<String> = std::iter::once(sub.get_name().to_string())
            .chain(sub.get_positionals().filter_map(flag))
            .collect();
        let _ = writeln!(out, "| `{}` | {} |", words.join(" "), md(&about, true));
    }
    out.push_str(&settings_taken(cmd));
    if let Some(examples) = cmd.get_after_help() {
        out.push_str(&examples_block(&examples.to_string()));
    }
    out
}

/// An argument of the command's own (not a setting, not help or version).
fn shown_own(a: &Arg) -> bool {
    !a.is_hide_set()
        && !super::is_setting(a)
        && !matches!(
            a.get_action(),
            ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
        )
}

/// Its help, with its variable and default as `--help` shows them.
fn own_help(a: &Arg) -> String {
    let mut text = help_text(a).replace('\n', " ");
    let notes: Vec<String> = [
        a.get_env()
            .map(|e| format!("environment `{}`", e.to_string_lossy())),
        default(a)
            .filter(|_| a.get_action().takes_values())
            .map(|d| format!("default `{d}`")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !notes.is_empty() {
        let _ = write!(text, " ({})", notes.join("; "));
    }
    text
}

/// The line naming the setting headings `cmd` takes, linked.
fn settings_taken(cmd: &Command) -> String {
    let headings: Vec<String> = help::TAKEN_BY
        .iter()
        .map(|(h, _)| *h)
        .filter(|h| {
            cmd.get_arguments().any(|a| {
                super::is_setting(a) && !a.is_hide_set() && a.get_help_heading() == Some(h)
            })
        })
        .map(|h| format!("[{h}](settings.md#{})", h.to_lowercase().replace(' ', "-")))
        .collect();
    if headings.is_empty() {
        return "\nIt takes no settings of its own.\n".into();
    }
    format!("\nSettings: {}.\n", headings.join(", "))
}

/// `Examples:` from `--help`, as a shell block.
fn examples_block(after_help: &str) -> String {
    let body = after_help
        .strip_prefix("Examples:\n")
        .unwrap_or(after_help)
        .lines()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    format!("\nExamples:\n\n```sh\n{}\n```\n", body.trim_end())
}

/// `page` with its generated part replaced by `generated`; None when the
/// page has no [`BEGIN`] … [`END`] lines.
pub fn splice(page: &str, generated: &str) -> Option<String> {
    let start = page.find(BEGIN)? + BEGIN.len();
    let end = start + page[start..].find(END)?;
    Some(format!(
        "{}\n\n{}\n{}",
        &page[..start],
        generated.trim_end(),
        &page[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_a_flag_or_a_file_only_entry_and_nothing_else_does() {
        let keys = keys();
        assert!(
            keys.contains(&"bucket") && keys.contains(&"image-dirs"),
            "{keys:?}"
        );
        let flagged: Vec<String> = Settings::args().iter().map(key_of).collect();
        for key in &keys {
            let file_only = FILE_ONLY.iter().filter(|f| f.key == *key).count();
            let with_flag = flagged.iter().filter(|k| k == key).count();
            assert_eq!(
                with_flag + file_only,
                1,
                "the setting `{key}` needs either a clap argument (a flag) or, with \
                 #[arg(skip)], one entry in config::FILE_ONLY"
            );
        }
        for key in flagged
            .iter()
            .map(String::as_str)
            .chain(FILE_ONLY.iter().map(|f| f.key))
        {
            assert!(keys.contains(&key), "`{key}` is not a key of r2filter.toml");
        }
    }

    #[test]
    fn every_setting_has_a_heading_commands_take_help_and_its_variable() {
        for e in entries() {
            let heading = e.heading.as_deref();
            assert!(
                help::takes("r2filter", heading).is_some(),
                "the setting `{}` needs `help_heading = help::…`, one of help::TAKEN_BY's \
                 (it has {heading:?})",
                e.key
            );
            assert!(!e.help.trim().is_empty(), "`{}` needs a doc comment", e.key);
            assert!(
                !e.help.contains("[env:") && !e.help.contains("[default:"),
                "`{}`: clap shows [env: …] and [default: …] from `env` and `default_value`; \
                 do not type them in the doc comment",
                e.key
            );
            if let Some(env) = &e.env {
                assert_eq!(
                    *env,
                    format!("R2FILTER_{}", e.key.replace('-', "_").to_uppercase()),
                    "a variable is R2FILTER_ + the key in upper snake case"
                );
            }
        }
    }

    #[test]
    fn help_shows_the_headings_in_the_order_of_taken_by() {
        // clap orders the headings by their first argument; the reference
        // pages by help::TAKEN_BY: the two must agree.
        let mut shown: Vec<&str> = Vec::new();
        let cmd = super::super::command();
        for heading in cmd.get_arguments().filter_map(|a| a.get_help_heading()) {
            if !shown.contains(&heading) {
                shown.push(heading);
            }
        }
        let listed: Vec<&str> = help::TAKEN_BY.iter().map(|(h, _)| *h).collect();
        assert_eq!(
            shown, listed,
            "move the fields of Settings, or reorder help::TAKEN_BY"
        );
    }

    #[test]
    fn splice_replaces_only_the_generated_part() {
        let page = format!("# T\n\nbefore\n\n{BEGIN}\n\nold\n{END}\n\nafter\n");
        let new = splice(&page, "new\n").unwrap();
        assert_eq!(
            new,
            format!("# T\n\nbefore\n\n{BEGIN}\n\nnew\n{END}\n\nafter\n")
        );
        assert_eq!(splice(&new, "new"), Some(new.clone()));
        assert_eq!(splice("# T\n", "x"), None);
    }
}
