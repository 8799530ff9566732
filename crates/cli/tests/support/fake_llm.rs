//! A fake LLM provider for tests: an HTTP server on 127.0.0.1 that speaks the wire formats of
//! chat completions (`OpenAI` and compatible servers) and of Anthropic's Messages API. A script
//! decides each answer from the agent role (read from the system prompt), the subject, and how often it was asked; every
//! request is kept so tests can count calls and read what was sent.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Seen {
    /// The agent role the system prompt names.
    pub fn role(&self) -> &'static str {
        let system = self.system();
        ["architect", "analyst", "reviewer", "writer"]
            .into_iter()
            .find(|r| system.contains(&format!("You are the {r} of threatscribe")))
            .unwrap_or("unknown")
    }

    pub fn system(&self) -> String {
        self.body
            .get("system")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                self.body
                    .pointer("/messages/0/content")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    }

    /// The first user message.
    pub fn user(&self) -> String {
        self.body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["role"] == "user")
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_owned()
    }

    /// True for a repair turn (the conversation already has an assistant answer).
    pub fn is_repair(&self) -> bool {
        self.body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["role"] == "assistant")
    }

    /// The answer's schema: in `response_format`, the forced tool, or (for servers without
    /// structured output) at the end of the system prompt.
    pub fn schema(&self) -> Value {
        self.body
            .pointer("/response_format/json_schema/schema")
            .or_else(|| self.body.pointer("/tools/0/input_schema"))
            .cloned()
            .or_else(|| {
                let system = self.system();
                let at = system.find("nothing else:\n")?;
                serde_json::from_str(&system[at + "nothing else:\n".len()..]).ok()
            })
            .unwrap_or_default()
    }

    /// The analyst's target ids (from the schema's enum), joined with commas.
    pub fn targets(&self) -> String {
        self.schema()
            .pointer("/properties/threats/items/properties/target/enum")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the script answers.
pub enum Answer {
    /// The JSON the model "writes", with the usage the server reports.
    Json(Value),
    /// Raw text as the model's answer (malformed JSON and the like).
    Text(String),
    /// An HTTP error status with headers and a body.
    Status(u16, Vec<(&'static str, String)>, String),
    /// Wait this long before answering with the inner answer.
    Slow(Duration, Box<Answer>),
}

type Script = dyn Fn(&Seen, usize) -> Answer + Send + Sync;

pub struct FakeProvider {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Tokens reported per answer: (input, output), summed over every successful answer.
    reported: Arc<Mutex<(u64, u64)>>,
}

impl FakeProvider {
    /// Starts the server; `script(request, how many requests of this role and subject came
    /// before)` answers each request.
    pub fn start(script: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static) -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("a local port is free");
        let url = format!(
            "http://{}/v1",
            server.server_addr().to_ip().expect("an IP address")
        );
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let reported: Arc<Mutex<(u64, u64)>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let (seen2, reported2) = (Arc::clone(&seen), Arc::clone(&reported));
        thread::spawn(move || {
            for mut request in server.incoming_requests() {
                let mut text = String::new();
                let _ = request.as_reader().read_to_string(&mut text);
                let request_seen = Seen {
                    path: request.url().to_owned(),
                    headers: request
                        .headers()
                        .iter()
                        .map(|h| (h.field.to_string(), h.value.to_string()))
                        .collect(),
                    body: serde_json::from_str(&text).unwrap_or(Value::Null),
                };
                let before = {
                    let mut all = seen2.lock().unwrap();
                    let key = (request_seen.role(), request_seen.targets());
                    let n = all
                        .iter()
                        .filter(|s| (s.role(), s.targets()) == key)
                        .count();
                    all.push(request_seen.clone());
                    n
                };
                let script = Arc::clone(&script);
                let reported = Arc::clone(&reported2);
                thread::spawn(move || {
                    let anthropic = request_seen.path.ends_with("/messages");
                    let mut answer = script(&request_seen, before);
                    while let Answer::Slow(delay, inner) = answer {
                        thread::sleep(delay);
                        answer = *inner;
                    }
                    let (status, headers, body) = match answer {
                        Answer::Json(value) => ok(
                            anthropic,
                            &value.to_string(),
                            Some(&value),
                            &reported,
                            &request_seen,
                        ),
                        Answer::Text(text) => ok(anthropic, &text, None, &reported, &request_seen),
                        Answer::Status(status, headers, body) => (status, headers, body),
                        Answer::Slow(..) => unreachable!(),
                    };
                    let mut response =
                        tiny_http::Response::from_string(body).with_status_code(status);
                    response.add_header(
                        tiny_http::Header::from_bytes("content-type", "application/json").unwrap(),
                    );
                    for (k, v) in headers {
                        response
                            .add_header(tiny_http::Header::from_bytes(k, v.as_bytes()).unwrap());
                    }
                    let _ = request.respond(response);
                });
            }
        });
        FakeProvider {
            url,
            seen,
            reported,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// (input, output) tokens reported over all successful answers.
    pub fn reported(&self) -> (u64, u64) {
        *self.reported.lock().unwrap()
    }
}

/// A successful answer in the request's wire format, with usage figures that differ per call
/// (derived from the request's size) so sums are meaningful.
fn ok(
    anthropic: bool,
    text: &str,
    value: Option<&Value>,
    reported: &Mutex<(u64, u64)>,
    seen: &Seen,
) -> (u16, Vec<(&'static str, String)>, String) {
    let input = 50 + seen.body.to_string().len() as u64 / 10;
    let output = 7 + text.len() as u64 / 5;
    {
        let mut r = reported.lock().unwrap();
        r.0 += input;
        r.1 += output;
    }
    let body = if anthropic {
        let content = match value {
            Some(v) => {
                json!([{"type": "tool_use", "id": "toolu_1", "name": seen.body["tool_choice"]["name"], "input": v}])
            }
            None => json!([{"type": "text", "text": text}]),
        };
        json!({"id": "msg_1", "type": "message", "role": "assistant", "content": content,
               "stop_reason": "tool_use", "usage": {"input_tokens": input, "output_tokens": output}})
    } else {
        json!({"id": "chatcmpl-1", "object": "chat.completion",
               "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
               "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output}})
    };
    (200, Vec::new(), body.to_string())
}
