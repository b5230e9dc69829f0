//! Telling secrets from references by name and value, for the tools that
//! refuse to write (vz-render) or flag (vz-comply) a secret in plain text.

/// Names that hold secrets when they hold a value (`DB_PASSWORD`, `apiKey`);
/// names of references to secrets (`PASSWORD_FILE`, `jwtSecretRef`,
/// `secretName`) do not.
pub fn looks_secret(name: &str) -> bool {
    // camelCase → snake_case first, so `encryptionKey` ends in `_key`.
    let mut n = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            n.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        n.push(match c {
            '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        });
    }
    let reference = ["_ref", "ref", "_file", "file", "_path", "path", "_name", "name", "_env"]
        .iter()
        .any(|s| n.ends_with(s));
    let secretish = [
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "private_key",
        "privatekey",
        "credential",
    ]
    .iter()
    .any(|s| n.contains(s))
        || n.ends_with("_key")
        || n == "key";
    secretish && !reference
}

/// What makes a value a secret whatever its key, if anything: a private
/// key, or a URL with a password (`postgres://app:hunter2@db/app`).
///
/// Values can be large (a dashboard in a ConfigMap is hundreds of
/// kilobytes): the searches are `memchr`'s, several bytes at a time, and the
/// URL one starts with the single byte it needs.
pub fn secret_value(v: &str) -> Option<&'static str> {
    use memchr::memmem;
    let b = v.as_bytes();
    if memmem::find(b, b"-----BEGIN").is_some() && memmem::find(b, b"PRIVATE KEY-----").is_some() {
        return Some("a private key");
    }
    if memchr::memchr(b'@', b).is_none() || memmem::find(b, b"://").is_none() {
        return None;
    }
    let has_password_url = v.split_whitespace().any(|w| {
        w.split_once("://").is_some_and(|(_, rest)| {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            authority.rsplit_once('@').is_some_and(|(user, _)| {
                user.split_once(':').is_some_and(|(_, pw)| !pw.is_empty() && !is_placeholder(pw))
            })
        })
    });
    has_password_url.then_some("a URL with a password")
}

/// Whether a value is a placeholder rather than a secret: empty, or one
/// whole `${VAR}` substituted at deploy time.
pub fn is_placeholder(s: &str) -> bool {
    s.is_empty() || (s.starts_with("${") && s.ends_with('}') && !s[2..].contains('$'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "DB_PASSWORD",
            "JWT_SECRET",
            "API_KEY",
            "apiKey",
            "GITHUB_TOKEN",
            "privateKey",
            "ENCRYPTION_KEY",
            "encryptionKey",
            "jwtSecret",
        ] {
            assert!(looks_secret(n), "{n}");
        }
        for n in [
            "LOG_LEVEL",
            "PASSWORD_FILE",
            "secretName",
            "jwtSecretRef",
            "KEYCLOAK_URL",
            "monkey",
            "tokenPath",
            "passwordFile",
        ] {
            assert!(!looks_secret(n), "{n}");
        }
    }

    #[test]
    fn secret_values() {
        assert_eq!(
            secret_value("postgres://app:hunter2@db:5432/app"),
            Some("a URL with a password")
        );
        assert_eq!(secret_value("postgres://app:${DB_PASSWORD}@db/app"), None);
        assert_eq!(secret_value("postgres://app@db/app"), None);
        assert_eq!(secret_value("-----BEGIN RSA PRIVATE KEY-----\nMII"), Some("a private key"));
        assert_eq!(secret_value("https://example.com/a:b@c"), None);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder("${DB_PASSWORD}"));
        assert!(is_placeholder(""));
        assert!(!is_placeholder("hunter2"));
        assert!(!is_placeholder("${A}${B}"));
    }
}
