//! The one live object a run edits: read from stdin or a file, its kind
//! recognised, and written back in the syntax it came in.

use serde_json::Value;
use vz::input::{Document, Input, Locate, Syntax};
use vz::{Error, Location};

/// What vz-switch can edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A core/v1 Service: blue/green by selector.
    Service,
    /// An Istio `VirtualService`: weights by destination subset.
    VirtualService,
    /// A Gateway API `HTTPRoute`: weights by backendRef name.
    HttpRoute,
    /// An SMI `TrafficSplit`: weights by backend service.
    TrafficSplit,
}

impl Kind {
    /// The object's kind as Kubernetes names it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Service => "Service",
            Kind::VirtualService => "VirtualService",
            Kind::HttpRoute => "HTTPRoute",
            Kind::TrafficSplit => "TrafficSplit",
        }
    }

    /// Whether the kind carries weights (rather than a selector).
    pub fn has_weights(self) -> bool {
        self != Kind::Service
    }
}

/// The input, read.
#[derive(Debug)]
pub enum Live {
    /// A Kubernetes object.
    Object(Object),
    /// An nginx upstream file (text).
    Nginx {
        /// The file's text.
        text: String,
        /// Its name, for messages.
        name: String,
    },
}

/// A Kubernetes object and where it came from.
#[derive(Debug)]
pub struct Object {
    /// The document (value and source map, for located errors).
    pub doc: Document,
    /// Its kind.
    pub kind: Kind,
    /// JSON in gives JSON out; YAML gives YAML.
    pub syntax: Syntax,
}

impl Object {
    /// The object.
    pub fn value(&self) -> &Value {
        &self.doc.value
    }

    /// `service/app` or `httproute/shop/web` for messages.
    pub fn label(&self) -> String {
        let v = self.value();
        let name = v.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("?");
        format!("{}/{name}", self.kind.name().to_ascii_lowercase())
    }

    /// An input error at `path` (a vz path such as `spec.selector`).
    pub fn invalid(&self, path: &str, message: impl Into<String>) -> Error {
        Error::Invalid {
            at: self.doc.locate(path, false),
            path: path.to_string(),
            message: message.into(),
            suggestion: None,
        }
    }
}

/// Reads the one object (or nginx upstream file) of `input`.
pub fn read(input: &Input) -> Result<Live, Error> {
    let text = input.read_text()?;
    let name = input.name();
    if is_nginx(&text) {
        return Ok(Live::Nginx { text, name });
    }
    let syntax = vz::input::detect(&text);
    let mut docs = vz::input::parse_documents(&text, &name, Locate::Everything)?;
    let doc = match docs.len() {
        1 => docs.remove(0),
        0 => {
            return Err(Error::Invalid {
                at: Location::input(&name),
                path: String::new(),
                message:
                    "no object: pipe in one, e.g. `kubectl get svc NAME -o json | vz-switch …`"
                        .into(),
                suggestion: None,
            });
        }
        n => {
            return Err(Error::Invalid {
                at: docs[1].at.clone(),
                path: String::new(),
                message: format!(
                    "{n} objects: vz-switch edits one at a time (kubectl get KIND NAME -o json)"
                ),
                suggestion: None,
            });
        }
    };
    let kind = kind_of(&doc)?;
    Ok(Live::Object(Object { doc, kind, syntax }))
}

/// An nginx include file has a line `upstream NAME {` (after other blocks
/// such as `map`, perhaps); no JSON or Kubernetes YAML has one.
fn is_nginx(text: &str) -> bool {
    text.lines().map(str::trim).any(|l| {
        let mut words = l.split_whitespace();
        words.next() == Some("upstream")
            && words.next().is_some_and(|name| name != "{")
            && l.ends_with('{')
    })
}

fn kind_of(doc: &Document) -> Result<Kind, Error> {
    let v = &doc.value;
    let Some(obj) = v.as_object() else {
        return Err(Error::Invalid {
            at: doc.at.clone(),
            path: String::new(),
            message: "expected a Kubernetes object (a map with apiVersion and kind)".into(),
            suggestion: None,
        });
    };
    let api = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
    let found = match (group, kind) {
        ("", "Service") => Some(Kind::Service),
        (g, "VirtualService") if g.starts_with("networking.istio.io") => Some(Kind::VirtualService),
        ("gateway.networking.k8s.io", "HTTPRoute") => Some(Kind::HttpRoute),
        ("split.smi-spec.io", "TrafficSplit") => Some(Kind::TrafficSplit),
        _ => None,
    };
    found.ok_or_else(|| {
        let what = if kind.is_empty() { "an object without `kind`".to_string() } else { format!("a {kind} ({api})") };
        Error::Invalid {
            at: doc.locate("kind", false),
            path: "kind".into(),
            message: format!(
                "vz-switch cannot switch {what}: it edits a Service (blue/green by selector), an Istio \
                 VirtualService, a Gateway API HTTPRoute or an SMI TrafficSplit (weights), or an nginx \
                 upstream file"
            ),
            suggestion: None,
        }
    })
}

/// The object as text in `syntax`, one trailing newline.
pub fn write(value: &Value, syntax: Syntax) -> Result<String, Error> {
    match syntax {
        Syntax::Json => Ok(vz::output::pretty_json(value)),
        Syntax::Yaml => vz::yaml::to_string(value),
    }
}

#[cfg(test)]
mod tests {
    use super::is_nginx;

    #[test]
    fn nginx_files_are_told_from_objects() {
        assert!(is_nginx("upstream app {\n  server a:1; # blue\n}\n"));
        assert!(is_nginx("map $x $y {\n  default 1;\n}\n\nupstream app {\n}\n"));
        assert!(!is_nginx("kind: Service\nmetadata: {name: upstream}\n"));
        assert!(!is_nginx("{\"upstream\": {}}"));
    }
}
