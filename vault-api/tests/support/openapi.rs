//! Checks real responses against the service's own OpenAPI document: the
//! status must be declared for the operation, declared required headers must
//! be present and match their schemas, and the body must match the declared
//! JSON schema (or be empty when none is declared).

use axum::http::{HeaderMap, Method};
use serde_json::{json, Value};

pub struct OpenApi {
    doc: Value,
}

fn validate(doc: &Value, schema: &Value, instance: &Value) -> Result<(), String> {
    // Embed the components so `#/components/...` references resolve.
    let mut root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"].clone(),
    });
    if let (Some(root), Some(schema)) = (root.as_object_mut(), schema.as_object()) {
        for (k, v) in schema {
            root.insert(k.clone(), v.clone());
        }
    }
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| format!("schema does not compile: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

fn matches_template(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

impl OpenApi {
    pub fn new(doc: Value) -> Self {
        Self { doc }
    }

    pub fn doc(&self) -> &Value {
        &self.doc
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(pointer) => self
                .doc
                .pointer(pointer.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {pointer}")),
            None => value,
        }
    }

    fn error_schema() -> Value {
        json!({ "$ref": "#/components/schemas/Error" })
    }

    /// Checks one response; the error says what does not conform.
    pub fn check(
        &self,
        method: &Method,
        path: &str,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        let context = format!("{method} {path} -> {status}");
        let paths = self.doc["paths"].as_object().expect("paths");
        let template = paths.keys().find(|t| matches_template(t, path));
        let operation = template.and_then(|t| paths[t].get(method.as_str().to_lowercase()));
        let Some(operation) = operation else {
            // Not a documented operation: must be a JSON 404 or 405.
            let expected = if template.is_some() { 405 } else { 404 };
            if status != expected {
                return Err(format!("{context}: undocumented operation answered {status}"));
            }
            let body: Value =
                serde_json::from_slice(body).map_err(|e| format!("{context}: error body is not JSON: {e}"))?;
            return validate(&self.doc, &Self::error_schema(), &body).map_err(|e| format!("{context}: {e}"));
        };
        let responses = &operation["responses"];
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get("default"))
            .ok_or_else(|| format!("{context}: status not declared"))?;
        let response = self.resolve(response);

        if let Some(declared) = response.get("headers").and_then(Value::as_object) {
            for (name, header) in declared {
                let header = self.resolve(header);
                let value = headers.get(name.as_str());
                match value {
                    None if header["required"] == json!(true) => {
                        return Err(format!("{context}: required header {name} missing"))
                    }
                    None => {}
                    Some(value) => {
                        let text = value
                            .to_str()
                            .map_err(|_| format!("{context}: header {name} not text"))?;
                        validate(&self.doc, &header["schema"], &json!(text))
                            .map_err(|e| format!("{context}: header {name}: {e}"))?;
                    }
                }
            }
        }

        match response.get("content") {
            Some(content) => {
                let media = content
                    .get("application/json")
                    .ok_or_else(|| format!("{context}: only JSON content is declared"))?;
                let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
                if !content_type.starts_with("application/json") {
                    return Err(format!("{context}: content-type {content_type:?}"));
                }
                let body: Value =
                    serde_json::from_slice(body).map_err(|e| format!("{context}: body is not JSON: {e}"))?;
                validate(&self.doc, &media["schema"], &body).map_err(|e| format!("{context}: {e}"))
            }
            None if body.is_empty() => Ok(()),
            None => Err(format!("{context}: body where none is declared")),
        }
    }
}
