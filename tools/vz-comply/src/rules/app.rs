//! The built-in application configuration rules: encryption at rest, audit
//! logging, TLS, rate limiting, CORS, tracing and secrets, as the deployment
//! guides' compliance validator checks them. The rules are data
//! (`data/app-rules.yaml`): each names the keys it looks for anywhere in a
//! configuration document and a JSON Schema every value found must satisfy.
//!
//! Keys are dotted suffixes compared without case, `_` or `-`:
//! `encryption.atRest` finds `security.encryption.at_rest` and a flat key
//! `"encryption.atRest"`. A key whose value is a mapping is looked into
//! rather than checked, so `rateLimiting: {enabled: true}` is found by
//! `rateLimiting.enabled`.

use super::Verdict;
use crate::model::{Level, Origin, RuleInfo, Severity, Violation};
use crate::object::Object;
use serde::Deserialize;
use serde_json::Value;
use std::sync::OnceLock;
use vz::secret::looks_secret;

/// What a rule says when none of its keys is in the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Missing {
    /// A violation with the rule's level.
    Failed,
    /// A violation with the rule's level (a unit test keeps the data's
    /// `missing: warning` on rules whose level is `warning`).
    Warning,
    /// The rule does not apply.
    NotApplicable,
}

/// Which keys a rule checks.
#[derive(Clone, Debug)]
enum Select {
    /// Candidate keys as written (for messages) and as compared: lowercase
    /// segments without `_` and `-`.
    Keys { written: Vec<String>, compared: Vec<Vec<String>> },
    /// Every key whose name looks like a secret; values are never shown.
    Secrets,
}

/// The only `keys-like` there is.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum KeysLike {
    Secret,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Meta {
    id: String,
    title: String,
    subject: Vec<String>,
    severity: Severity,
    #[serde(default)]
    level: Level,
    fix: String,
    #[serde(default)]
    keys: Vec<String>,
    keys_like: Option<KeysLike>,
    require: Value,
    expect: String,
    missing: Missing,
}

/// A built-in application configuration rule.
#[derive(Clone, Debug)]
pub struct AppRule {
    /// What outputs say about it.
    pub info: RuleInfo,
    /// The words a framework control mapped to it must use.
    pub subject: Vec<String>,
    /// What it says when none of its keys is found.
    pub missing: Missing,
    select: Select,
    /// The JSON Schema every value found must satisfy, and its validator,
    /// compiled the first time a configuration is checked: most runs check
    /// only manifests, and compiling the seven schemas (and the draft's
    /// meta-schema they are checked against) was a third of the start-up.
    require: Value,
    validator: OnceLock<jsonschema::Validator>,
    expect: String,
}

const NAME: &str = "data/app-rules.yaml";
const DATA: &str = include_str!("../../data/app-rules.yaml");

/// The built-in rules, in id order.
pub fn builtin() -> Vec<AppRule> {
    let docs = vz::input::parse_documents(DATA, NAME, vz::input::Locate::Documents)
        .expect("the embedded app-rules.yaml is YAML (a unit test proves it)");
    let metas: Vec<Meta> = docs[0]
        .typed("")
        .expect("the embedded app-rules.yaml is well-formed (a unit test proves it)");
    let mut rules: Vec<AppRule> = metas.into_iter().map(rule).collect();
    rules.sort_by(|a, b| a.info.id.cmp(&b.info.id));
    rules
}

fn rule(m: Meta) -> AppRule {
    let select = match m.keys_like {
        Some(KeysLike::Secret) => Select::Secrets,
        None => Select::Keys {
            compared: m.keys.iter().map(|k| k.split('.').map(normalize).collect()).collect(),
            written: m.keys,
        },
    };
    AppRule {
        info: RuleInfo {
            id: m.id,
            title: m.title,
            severity: m.severity,
            level: m.level,
            fix: m.fix,
            aliases: Vec::new(),
            controls: Vec::new(),
            origin: Origin::AppConfig,
        },
        subject: m.subject,
        missing: m.missing,
        select,
        require: m.require,
        validator: OnceLock::new(),
        expect: m.expect,
    }
}

/// The built-in schemas' `pattern`, compiled by regex-lite rather than
/// jsonschema's fancy-regex: a run that meets a configuration compiles the
/// patterns once, and the larger engine's compile (cold code, run once) was
/// a third of compiling the schemas. The built-in patterns mean the same to
/// both (`\s` is ASCII whitespace to regex-lite; a unit test compares them
/// on values around every pattern).
struct Pattern(regex_lite::Regex);

impl Pattern {
    fn keyword<'a>(
        _: &'a serde_json::Map<String, Value>,
        pattern: &'a Value,
        _: jsonschema::paths::Location,
    ) -> Result<Box<dyn for<'i> jsonschema::Keyword<'i>>, jsonschema::ValidationError<'a>> {
        let pattern = pattern
            .as_str()
            .ok_or_else(|| jsonschema::ValidationError::custom("`pattern` is a string"))?;
        let regex = regex_lite::Regex::new(pattern)
            .map_err(|e| jsonschema::ValidationError::custom(e.to_string()))?;
        Ok(Box::new(Pattern(regex)))
    }
}

impl<'i> jsonschema::Keyword<'i> for Pattern {
    fn validate(&self, value: &'i Value) -> Result<(), jsonschema::ValidationError<'i>> {
        if self.is_valid(value) {
            Ok(())
        } else {
            Err(jsonschema::ValidationError::custom(format!("does not match {}", self.0.as_str())))
        }
    }

    /// Only strings are matched: a pattern says nothing about other values.
    fn is_valid(&self, value: &'i Value) -> bool {
        value.as_str().is_none_or(|s| self.0.is_match(s))
    }
}

/// A key segment as compared: lowercase, without `_` and `-`.
fn normalize(key: &str) -> String {
    key.chars().filter(|c| !matches!(c, '_' | '-')).flat_map(char::to_lowercase).collect()
}

/// A setting found in a document.
struct Found<'a> {
    /// The vz path to it.
    path: String,
    /// Its key as messages name it: the keys the rule's candidate matched
    /// (`rateLimiting.enabled`), or the key alone.
    key: String,
    value: &'a Value,
}

/// One key segment on the way to a value: as written and as compared
/// (`None` for a list index).
type Segment = Option<(String, String)>;

impl AppRule {
    fn validator(&self) -> &jsonschema::Validator {
        self.validator.get_or_init(|| {
            // Draft 7: its meta-schema, which every schema is checked
            // against when compiled, compiles in a third of the time draft
            // 2020-12's takes (0.8 ms instead of 2.3), and the built-in
            // schemas mean the same in both (a unit test proves it).
            let options = jsonschema::options()
                .offline()
                .with_draft(jsonschema::Draft::Draft7)
                .with_keyword("pattern", Pattern::keyword);
            options.build(&self.require).unwrap_or_else(|e| {
                let id = &self.info.id;
                panic!("{id}: `require` is a valid JSON Schema (a unit test proves it): {e}")
            })
        })
    }

    /// Evaluates the rule on a configuration document (`object.config`); a
    /// document that is not a mapping (a bare list or value) is not a
    /// configuration the rules can read.
    pub fn check(&self, object: &Object) -> Verdict {
        self.check_settings(object, &Settings::of(object.value()))
    }

    /// [`check`](AppRule::check) with the document's settings walked
    /// already (once for all the rules of a document).
    pub fn check_settings(&self, object: &Object, settings: &Settings<'_>) -> Verdict {
        if !object.value().is_object() {
            return Verdict::NotApplicable("the document is not a mapping of settings".into());
        }
        let found = self.find(settings);
        if found.is_empty() {
            let none = match &self.select {
                Select::Keys { written, .. } => {
                    format!("none of the keys {} is set", written.join(", "))
                }
                Select::Secrets => "no key looks like a secret".to_string(),
            };
            return match self.missing {
                Missing::NotApplicable => Verdict::NotApplicable(none),
                Missing::Failed | Missing::Warning => {
                    let v = vec![Violation {
                        path: String::new(),
                        message: format!("{none}; required: {}", self.expect),
                        at: object.locate("", false),
                    }];
                    if self.missing == Missing::Warning {
                        Verdict::Warnings(v)
                    } else {
                        Verdict::Violations(v)
                    }
                }
            };
        }
        let mut violations: Vec<Violation> = found
            .into_iter()
            .filter(|f| !self.validator().is_valid(f.value))
            .map(|f| {
                let message = match self.select {
                    Select::Secrets => {
                        format!(
                            "{} holds a literal value (value not shown); required: {}",
                            f.key, self.expect
                        )
                    }
                    Select::Keys { .. } => {
                        format!("{} is {}; required: {}", f.key, shown(f.value), self.expect)
                    }
                };
                Violation { at: object.locate(&f.path, false), path: f.path, message }
            })
            .collect();
        violations.sort_by(|a, b| {
            (a.at.line, a.at.column, &a.path).cmp(&(b.at.line, b.at.column, &b.path))
        });
        if violations.is_empty() { Verdict::Passed } else { Verdict::Violations(violations) }
    }

    /// Every setting the rule checks.
    fn find<'a>(&self, settings: &Settings<'a>) -> Vec<Found<'a>> {
        let mut found = Vec::new();
        for Setting { path, segments, value } in &settings.0 {
            let matched = match &self.select {
                Select::Secrets => segments
                    .last()
                    .and_then(Option::as_ref)
                    .is_some_and(|(k, _)| looks_secret(k))
                    .then_some(1),
                Select::Keys { compared, .. } => {
                    compared.iter().filter(|c| ends_with(segments, c)).map(Vec::len).max()
                }
            };
            if let Some(n) = matched {
                let key = segments[segments.len() - n..]
                    .iter()
                    .flatten()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(".");
                found.push(Found { path: path.clone(), key, value });
            }
        }
        found
    }
}

/// Every keyed value of a document that is not a mapping, in document
/// order: what the app rules look through, walked once per document.
pub struct Settings<'a>(Vec<Setting<'a>>);

struct Setting<'a> {
    /// The vz path to the value.
    path: String,
    /// The key segments from the root to the value.
    segments: Vec<Segment>,
    value: &'a Value,
}

impl<'a> Settings<'a> {
    /// The settings of `root`; none when it is not a mapping (not a
    /// configuration the rules read).
    pub fn of(root: &'a Value) -> Self {
        let mut settings = Settings(Vec::new());
        if root.is_object() {
            settings.walk(root, "", &mut Vec::new());
        }
        settings
    }

    /// Records every keyed value under `value` that is not a mapping;
    /// `segments` lead from the root to `value` (a flat key `a.b` gives two).
    fn walk(&mut self, value: &'a Value, path: &str, segments: &mut Vec<Segment>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let p = vz::path::key(path, k);
                    let before = segments.len();
                    segments.extend(k.split('.').map(|s| Some((s.to_string(), normalize(s)))));
                    if !v.is_object() {
                        self.0.push(Setting {
                            path: p.clone(),
                            segments: segments.clone(),
                            value: v,
                        });
                    }
                    self.walk(v, &p, segments);
                    segments.truncate(before);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    segments.push(None);
                    self.walk(v, &vz::path::index(path, i), segments);
                    segments.pop();
                }
            }
            _ => {}
        }
    }
}

/// Whether the key segments leading to a value end with `suffix` (a list
/// index breaks a suffix).
fn ends_with(segments: &[Segment], suffix: &[String]) -> bool {
    segments.len() >= suffix.len()
        && segments[segments.len() - suffix.len()..]
            .iter()
            .zip(suffix)
            .all(|(s, c)| s.as_ref().is_some_and(|(_, compared)| compared == c))
}

/// A found value as messages show it: compact JSON, shortened.
fn shown(value: &Value) -> String {
    vz::text::cut(&value.to_string(), 60).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use serde_json::json;
    use vz::input::{Locate, parse_documents};

    fn object(text: &str, name: &str) -> Object {
        let docs = parse_documents(text, name, Locate::Everything).unwrap();
        Object::new(docs.into_iter().next().unwrap())
    }

    fn seed(name: &str) -> Object {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/manifests/seeds/app-config")
            .join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; the seed app configs live in ../shared/fixtures next to the repository",
                path.display()
            )
        });
        object(&text, name)
    }

    fn rule(id: &str) -> AppRule {
        builtin().into_iter().find(|r| r.info.id == id).unwrap()
    }

    fn lines(id: &str, status: &str, vs: &[Violation]) -> Vec<String> {
        vs.iter().map(|v| format!("{id} {status} {} [{}] {}", v.at, v.path, v.message)).collect()
    }

    /// Every verdict as `ID status: path: message` lines (or the note).
    fn outcome(rule: &AppRule, o: &Object) -> Vec<String> {
        let id = &rule.info.id;
        match rule.check(o) {
            Verdict::Passed => vec![format!("{id} passed")],
            Verdict::NotApplicable(n) => vec![format!("{id} not-applicable: {n}")],
            Verdict::Error(e) => vec![format!("{id} error: {e}")],
            Verdict::Violations(vs) => lines(id, rule.info.level.status().as_str(), &vs),
            Verdict::Warnings(vs) => lines(id, "warning", &vs),
        }
    }

    fn all(o: &Object) -> Vec<String> {
        builtin().iter().flat_map(|r| outcome(r, o)).collect()
    }

    #[test]
    fn the_embedded_rules_are_well_formed() {
        let rules = builtin();
        let ids: Vec<&str> = rules.iter().map(|r| r.info.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "VZ-APP-001",
                "VZ-APP-002",
                "VZ-APP-003",
                "VZ-APP-004",
                "VZ-APP-005",
                "VZ-APP-006",
                "VZ-APP-007"
            ]
        );
        let metas: Vec<Meta> =
            parse_documents(DATA, NAME, Locate::Everything).unwrap()[0].typed("").unwrap();
        for m in &metas {
            assert!(
                m.keys.is_empty() != m.keys_like.is_none(),
                "{}: give keys or keys-like, not both",
                m.id
            );
            assert!(!m.subject.is_empty() && !m.fix.is_empty() && !m.expect.is_empty(), "{}", m.id);
            // A missing key may be milder than a wrong value, never worse.
            let consistent = match m.missing {
                Missing::NotApplicable | Missing::Warning => true,
                Missing::Failed => m.level == Level::Failed,
            };
            assert!(consistent, "{}: missing {:?} with level {:?}", m.id, m.missing, m.level);
        }
        for r in &rules {
            r.validator();
            assert_eq!(r.info.origin, Origin::AppConfig);
            assert!(r.info.controls.is_empty());
        }
    }

    /// The built-in patterns are regex-lite's: `\s` is ASCII whitespace, so a
    /// wildcard set off by non-breaking spaces is not a wildcard to them (it
    /// would be to jsonschema's own engine).
    #[test]
    fn the_embedded_patterns_are_compiled_by_regex_lite() {
        let cors = builtin().into_iter().find(|r| r.info.id == "VZ-APP-005").unwrap();
        assert!(!cors.validator().is_valid(&serde_json::json!(" * ")));
        assert!(cors.validator().is_valid(&serde_json::json!("\u{a0}*\u{a0}")));
    }

    /// The built-in schemas are compiled as draft 7 (a cheaper meta-schema)
    /// with regex-lite for their patterns; they mean what they would as draft
    /// 2020-12 with jsonschema's own patterns, as custom rules are compiled
    /// (for ASCII: regex-lite's `\s` is not Unicode whitespace).
    #[test]
    fn the_embedded_schemas_mean_the_same_in_draft_2020_12() {
        let samples = serde_json::json!([
            true, false, null, 0, 5, 1.5, "", "require", "verify-full", "disable", "*",
            " * ", "a, *", "https://a.example", [], ["*"], ["https://a.example"], [1], {},
            {"enabled": true}, "\t*\r\n", "*,", ",*", "a,*,b", "a *b", "*a", "**", "x*",
            "https://*.example", ["\n*\t"], [" *x"], "$", "${A}", "$A", "${_a1}", "$_", "${1A}",
            "$1A", "${A-B}", "${A", "$A}", "x${A}", "${A}x", "$$A", "${}", "\u{e9}", "*\u{e9}"
        ]);
        for r in builtin() {
            let latest = jsonschema::options()
                .offline()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&r.require)
                .unwrap();
            for v in samples.as_array().unwrap() {
                assert_eq!(r.validator().is_valid(v), latest.is_valid(v), "{} on {v}", r.info.id);
            }
        }
    }

    #[test]
    fn production_seed() {
        let o = seed("s000-config-production.json");
        assert_eq!(
            all(&o),
            [
                "VZ-APP-001 passed",
                "VZ-APP-002 passed",
                "VZ-APP-003 warning s000-config-production.json:1:1 [] none of the keys tls, tls.enabled, \
                 tlsEnabled, useTls, requireTls, ssl, ssl.enabled, sslEnabled, useSsl, requireSsl, https, \
                 https.enabled, httpsOnly, forceHttps, sslmode is set; required: true (sslmode require, verify-ca \
                 or verify-full)",
                "VZ-APP-004 passed",
                "VZ-APP-005 passed",
                "VZ-APP-006 passed",
                "VZ-APP-007 passed",
            ]
        );
    }

    #[test]
    fn development_seed() {
        let o = seed("s000-config-development.json");
        let Verdict::Violations(v) = rule("VZ-APP-001").check(&o) else {
            panic!("VZ-APP-001 passes")
        };
        assert_eq!(v[0].path, "security.encryptionEnabled");
        let Verdict::Warnings(v) = rule("VZ-APP-003").check(&o) else {
            panic!("VZ-APP-003 is not a warning")
        };
        assert_eq!(
            (v[0].path.as_str(), v[0].at.to_string()),
            ("", "s000-config-development.json:1:1".to_string())
        );
        assert_eq!(
            all(&o),
            [
                "VZ-APP-001 failed s000-config-development.json:9:26 [security.encryptionEnabled] encryptionEnabled is false; \
                 required: true",
                "VZ-APP-002 failed s000-config-development.json:10:21 [security.auditLogging] auditLogging is false; required: true",
                "VZ-APP-003 warning s000-config-development.json:1:1 [] none of the keys tls, tls.enabled, \
                 tlsEnabled, useTls, requireTls, ssl, ssl.enabled, sslEnabled, useSsl, requireSsl, https, \
                 https.enabled, httpsOnly, forceHttps, sslmode is set; required: true (sslmode require, verify-ca \
                 or verify-full)",
                "VZ-APP-004 warning s000-config-development.json:1:1 [] none of the keys rateLimiting, \
                 rateLimiting.enabled, rateLimitingEnabled, rateLimit, rateLimit.enabled, rateLimitEnabled, \
                 rateLimiter.enabled, throttling.enabled, requestsPerMinute, requestsPerSecond is set; required: \
                 true (or a limit above 0)",
                "VZ-APP-005 passed",
                "VZ-APP-006 warning s000-config-development.json:1:1 [] none of the keys tracing, tracing.enabled, \
                 tracingEnabled, telemetry.tracing, telemetry.tracing.enabled, opentelemetry.enabled, otel.enabled \
                 is set; required: true",
                "VZ-APP-007 not-applicable: no key looks like a secret",
            ]
        );
    }

    #[test]
    fn keys_are_found_in_any_spelling_and_shape() {
        let r = rule("VZ-APP-001");
        for (text, path) in [
            ("encryption_enabled: true", "encryption_enabled"),
            ("ENCRYPTION-ENABLED: true", "ENCRYPTION-ENABLED"),
            ("app: {security: {encryption: {enabled: true}}}", "app.security.encryption.enabled"),
            ("\"encryption.atRest\": true", "[\"encryption.atRest\"]"),
            ("stores: [{database: {encryption: true}}]", "stores[0].database.encryption"),
        ] {
            let o = object(text, "c.yaml");
            assert_eq!(r.check(&o), Verdict::Passed, "{text}");
            let paths: Vec<String> =
                r.find(&Settings::of(o.value())).into_iter().map(|f| f.path).collect();
            assert_eq!(paths, [path], "{text}");
        }
        // A list index breaks a dotted key; a mapping is looked into.
        let o = object(
            "encryption: [{enabled: false}]\ndatabase: {encryption: {enabled: false}}\n",
            "c.yaml",
        );
        assert_eq!(
            outcome(&r, &o),
            [
                "VZ-APP-001 failed c.yaml:2:34 [database.encryption.enabled] database.encryption.enabled is false; required: true"
            ]
        );
    }

    #[test]
    fn every_found_value_must_pass() {
        let r = rule("VZ-APP-001");
        let o = object("encryptionEnabled: true\nstorage: {encrypted: \"yes\"}\n", "c.yaml");
        assert_eq!(
            outcome(&r, &o),
            [
                "VZ-APP-001 failed c.yaml:2:22 [storage.encrypted] storage.encrypted is \"yes\"; required: true"
            ]
        );
    }

    #[test]
    fn audit_logging() {
        let r = rule("VZ-APP-002");
        assert_eq!(
            r.check(&object("audit: {enabled: true, path: /var/log/audit}", "c.yaml")),
            Verdict::Passed
        );
        assert_eq!(
            outcome(&r, &object("logging: {audit: false}", "c.yaml")),
            [
                "VZ-APP-002 failed c.yaml:1:18 [logging.audit] logging.audit is false; required: true"
            ]
        );
        assert_eq!(
            outcome(&r, &object("logging: {level: info}", "c.yaml")),
            [
                "VZ-APP-002 failed c.yaml:1:1 [] none of the keys auditLogging, auditLogging.enabled, auditLog, \
                 auditLog.enabled, auditLogs, auditLogs.enabled, auditEnabled, audit.enabled, audit.log, \
                 audit.log.enabled, audit.logging, audit.logging.enabled, logging.audit, logging.audit.enabled is \
                 set; required: true"
            ]
        );
    }

    #[test]
    fn tls_in_transit() {
        let r = rule("VZ-APP-003");
        for ok in [
            "server: {tls: {enabled: true}}",
            "database: {sslmode: verify-full}",
            "db: {ssl: true}",
            "https: true",
        ] {
            assert_eq!(r.check(&object(ok, "c.yaml")), Verdict::Passed, "{ok}");
        }
        assert_eq!(
            outcome(&r, &object("database:\n  sslMode: disable\n  ssl: false\n", "c.yaml")),
            [
                "VZ-APP-003 failed c.yaml:2:12 [database.sslMode] sslMode is \"disable\"; required: true (sslmode require, \
                 verify-ca or verify-full)",
                "VZ-APP-003 failed c.yaml:3:8 [database.ssl] ssl is false; required: true (sslmode require, verify-ca \
                 or verify-full)",
            ]
        );
    }

    #[test]
    fn rate_limiting() {
        let r = rule("VZ-APP-004");
        for ok in [
            "rateLimit: 100",
            "api: {rate_limit: {enabled: true}}",
            "rateLimiting: {requestsPerMinute: 60}",
        ] {
            assert_eq!(r.check(&object(ok, "c.yaml")), Verdict::Passed, "{ok}");
        }
        assert_eq!(
            outcome(&r, &object("rateLimiting: {enabled: false, requestsPerMinute: 0}", "c.yaml")),
            [
                "VZ-APP-004 warning c.yaml:1:25 [rateLimiting.enabled] rateLimiting.enabled is false; required: true (or a limit above 0)",
                "VZ-APP-004 warning c.yaml:1:51 [rateLimiting.requestsPerMinute] requestsPerMinute is 0; required: true (or a limit \
                 above 0)",
            ]
        );
    }

    #[test]
    fn cors_origins() {
        let r = rule("VZ-APP-005");
        for ok in [
            "corsEnabled: false",
            "cors: {enabled: true, allowedOrigins: [\"https://app.example.com\"]}",
            "corsOrigin: https://a.example.com, https://b.example.com",
        ] {
            assert_eq!(r.check(&object(ok, "c.yaml")), Verdict::Passed, "{ok}");
        }
        assert_eq!(
            outcome(
                &r,
                &object("cors:\n  origins: [\"https://a.example.com\", \"*\"]\n", "c.yaml")
            ),
            [
                "VZ-APP-005 failed c.yaml:2:12 [cors.origins] cors.origins is [\"https://a.example.com\",\"*\"]; required: a list \
                 of origins without \"*\" (or CORS turned off)"
            ]
        );
        assert_eq!(
            outcome(&r, &object("corsOrigins: \"https://a.example.com,*\"", "c.yaml")),
            [
                "VZ-APP-005 failed c.yaml:1:14 [corsOrigins] corsOrigins is \"https://a.example.com,*\"; required: a list of \
                 origins without \"*\" (or CORS turned off)"
            ]
        );
        assert_eq!(
            outcome(&r, &object("server: {port: 8080}", "c.yaml")),
            [
                "VZ-APP-005 not-applicable: none of the keys cors, corsEnabled, cors.enabled, cors.allowedOrigins, \
                 cors.allowOrigins, cors.allowOrigin, cors.origins, cors.origin, corsOrigins, corsOrigin, \
                 corsAllowedOrigins, allowedOrigins is set"
            ]
        );
    }

    #[test]
    fn tracing() {
        let r = rule("VZ-APP-006");
        assert_eq!(
            r.check(&object("telemetry: {tracing: {enabled: true}}", "c.yaml")),
            Verdict::Passed
        );
        assert_eq!(
            outcome(&r, &object("tracing: {enabled: false}", "c.yaml")),
            [
                "VZ-APP-006 warning c.yaml:1:20 [tracing.enabled] tracing.enabled is false; required: true"
            ]
        );
    }

    #[test]
    fn secrets_must_be_references_and_are_never_shown() {
        let r = rule("VZ-APP-007");
        let ok = "db: {password: \"${DB_PASSWORD}\", passwordFile: /run/secrets/db, user: app}\n\
                  jwtSecret: $JWT_SECRET\napiKey: \"\"\ntokenTtl: 3600\nsecretName: app-secrets\n";
        assert_eq!(r.check(&object(ok, "c.yaml")), Verdict::Passed);
        let text = "db:\n  password: hunter2\napi_key: \"sk-live-1234567890\"\nauth: {token: \"${A}${B}\"}\n\
                    credentials: {user: app, privateKey: \"-----BEGIN PRIVATE KEY-----\"}\n";
        let got = outcome(&r, &object(text, "c.yaml"));
        assert_eq!(
            got,
            [
                "VZ-APP-007 failed c.yaml:2:13 [db.password] password holds a literal value (value not shown); required: a \
                 reference such as ${VAR}, or nothing",
                "VZ-APP-007 failed c.yaml:3:10 [api_key] api_key holds a literal value (value not shown); required: a \
                 reference such as ${VAR}, or nothing",
                "VZ-APP-007 failed c.yaml:4:15 [auth.token] token holds a literal value (value not shown); required: a \
                 reference such as ${VAR}, or nothing",
                "VZ-APP-007 failed c.yaml:5:38 [credentials.privateKey] privateKey holds a literal value (value not shown); \
                 required: a reference such as ${VAR}, or nothing",
            ]
        );
        for secret in ["hunter2", "sk-live", "${A}", "BEGIN"] {
            assert!(!got.iter().any(|l| l.contains(secret)), "{secret} shown");
        }
    }

    #[test]
    fn documents_that_are_not_mappings_are_not_configurations() {
        assert_eq!(
            outcome(&rule("VZ-APP-001"), &object("- a\n- b\n", "c.yaml")),
            ["VZ-APP-001 not-applicable: the document is not a mapping of settings"]
        );
    }

    #[test]
    fn long_values_are_shortened() {
        let long = json!("x".repeat(100));
        assert_eq!(shown(&long).chars().count(), 60);
        assert!(shown(&long).ends_with('…'));
        assert_eq!(shown(&json!({"a": 1})), "{\"a\":1}");
    }

    #[test]
    fn statuses_follow_the_rule_level() {
        assert_eq!(rule("VZ-APP-001").info.level.status(), Status::Failed);
        assert_eq!(rule("VZ-APP-003").info.level.status(), Status::Failed);
        assert_eq!(rule("VZ-APP-004").info.level.status(), Status::Warning);
    }
}
