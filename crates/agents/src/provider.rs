//! The two wire formats: chat completions as `OpenAI` defined them (also served by Azure, Ollama, vLLM,
//! LM Studio, llama.cpp server) and Anthropic's Messages API. Each turns a conversation and a
//! JSON schema into a request body, and a response body into the answer's text and the
//! provider's own token counts.

use serde_json::{Value, json};

/// Which wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    OpenAi,
    Anthropic,
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// `user` or `assistant`.
    pub speaker: &'static str,
    pub content: String,
}

/// What a call asks: a system prompt, the turns so far, and the shape of the answer.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub system: String,
    pub turns: Vec<Turn>,
    /// Name of the answer's schema (letters, digits, `_`).
    pub schema_name: &'static str,
    pub schema: Value,
    pub max_tokens: u32,
}

/// The provider's answer: the JSON text it wrote and the usage it reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// True when the provider stopped at the token limit: the text is probably cut short.
    pub truncated: bool,
}

impl Wire {
    /// The path under the base URL.
    pub fn endpoint(self, base_url: &str) -> String {
        let base = base_url.trim_end_matches('/');
        match self {
            Wire::OpenAi => format!("{base}/chat/completions"),
            Wire::Anthropic if base.ends_with("/v1") => format!("{base}/messages"),
            Wire::Anthropic => format!("{base}/v1/messages"),
        }
    }

    /// The request body. `structured` asks for schema-constrained output where the format has
    /// it (`response_format` for chat completions, a forced tool for Anthropic); servers that refuse it get
    /// the schema in the prompt only.
    pub fn body(self, model: &str, prompt: &Prompt, structured: bool) -> Value {
        let turns: Vec<Value> = prompt
            .turns
            .iter()
            .map(|t| json!({"role": t.speaker, "content": t.content}))
            .collect();
        match self {
            Wire::OpenAi => {
                let mut messages = vec![json!({"role": "system", "content": prompt.system})];
                messages.extend(turns);
                // Reasoning models (o-series, gpt-5) take no temperature and count their limit
                // as `max_completion_tokens`; other servers know `max_tokens`.
                let mut body = if is_reasoning_model(model) {
                    json!({"model": model, "messages": messages, "max_completion_tokens": prompt.max_tokens})
                } else {
                    json!({"model": model, "messages": messages, "temperature": 0, "max_tokens": prompt.max_tokens})
                };
                if structured {
                    body["response_format"] = json!({
                        "type": "json_schema",
                        "json_schema": {"name": prompt.schema_name, "strict": true, "schema": prompt.schema},
                    });
                }
                body
            }
            Wire::Anthropic => {
                let mut body = json!({
                    "model": model,
                    "system": prompt.system,
                    "messages": turns,
                    "temperature": 0,
                    "max_tokens": prompt.max_tokens,
                });
                if structured {
                    body["tools"] = json!([{
                        "name": prompt.schema_name,
                        "description": "Give the answer through this tool, as its input.",
                        "input_schema": prompt.schema,
                    }]);
                    body["tool_choice"] = json!({"type": "tool", "name": prompt.schema_name});
                }
                body
            }
        }
    }

    /// Reads a successful response body.
    pub fn reply(self, body: &str) -> Result<Reply, String> {
        let value: Value =
            serde_json::from_str(body).map_err(|e| format!("the response is not JSON ({e})"))?;
        let tokens = |path: &[&str]| {
            path.iter()
                .try_fold(&value, |v, key| v.get(key))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        match self {
            Wire::OpenAi => {
                let choice = value
                    .get("choices")
                    .and_then(|c| c.get(0))
                    .ok_or("the response has no `choices`")?;
                let text = choice
                    .pointer("/message/content")
                    .and_then(Value::as_str)
                    .ok_or("the response's first choice has no message content")?;
                Ok(Reply {
                    text: text.to_owned(),
                    input_tokens: tokens(&["usage", "prompt_tokens"]),
                    output_tokens: tokens(&["usage", "completion_tokens"]),
                    truncated: choice.get("finish_reason").and_then(Value::as_str)
                        == Some("length"),
                })
            }
            Wire::Anthropic => {
                let blocks = value
                    .get("content")
                    .and_then(Value::as_array)
                    .ok_or("the response has no `content`")?;
                let text = blocks
                    .iter()
                    .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
                    .and_then(|b| b.get("input"))
                    .map(Value::to_string)
                    .or_else(|| {
                        let text: String = blocks
                            .iter()
                            .filter_map(|b| b.get("text").and_then(Value::as_str))
                            .collect();
                        (!text.is_empty()).then_some(text)
                    })
                    .ok_or("the response has neither a tool answer nor text")?;
                Ok(Reply {
                    text,
                    input_tokens: tokens(&["usage", "input_tokens"]),
                    output_tokens: tokens(&["usage", "output_tokens"]),
                    truncated: value.get("stop_reason").and_then(Value::as_str)
                        == Some("max_tokens"),
                })
            }
        }
    }
}

/// `OpenAI` models that reject `temperature` and `max_tokens`.
fn is_reasoning_model(model: &str) -> bool {
    let name = model.rsplit('/').next().unwrap_or(model);
    ["o1", "o3", "o4", "gpt-5"].iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.']))
    })
}

/// The JSON inside an answer's text: the whole text, or the first `{...}` in it (models that
/// ignore the schema often wrap JSON in prose or a Markdown fence).
pub fn json_in(text: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    if let Ok(value) = serde_json::from_str(trimmed) {
        return Ok(value);
    }
    let start = trimmed.find('{');
    let end = trimmed.rfind('}');
    match (start, end) {
        (Some(s), Some(e)) if s < e => serde_json::from_str(&trimmed[s..=e])
            .map_err(|err| format!("the answer is not valid JSON: {err}")),
        _ => Err("the answer holds no JSON object".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt() -> Prompt {
        Prompt {
            system: "sys".into(),
            turns: vec![Turn {
                speaker: "user",
                content: "hi".into(),
            }],
            schema_name: "answer",
            schema: json!({"type": "object"}),
            max_tokens: 100,
        }
    }

    #[test]
    fn openai_bodies_carry_the_schema_and_replies_their_usage() {
        let body = Wire::OpenAi.body("gpt-4o-mini", &prompt(), true);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["response_format"]["json_schema"]["strict"], true);
        assert!(
            Wire::OpenAi
                .body("m", &prompt(), false)
                .get("response_format")
                .is_none()
        );
        let reply = Wire::OpenAi
            .reply(r#"{"choices":[{"message":{"content":"{}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3}}"#)
            .unwrap();
        assert_eq!(
            (reply.input_tokens, reply.output_tokens, reply.truncated),
            (12, 3, false)
        );
        assert!(Wire::OpenAi.reply(r#"{"error":"x"}"#).is_err());
        assert_eq!(
            Wire::OpenAi.endpoint("http://h/v1/"),
            "http://h/v1/chat/completions"
        );
    }

    #[test]
    fn anthropic_answers_come_through_the_forced_tool() {
        let body = Wire::Anthropic.body("claude-sonnet-4-5", &prompt(), true);
        assert_eq!(body["tool_choice"]["name"], "answer");
        assert_eq!(body["system"], "sys");
        let reply = Wire::Anthropic
            .reply(r#"{"content":[{"type":"tool_use","id":"t","name":"answer","input":{"a":1}}],"stop_reason":"tool_use","usage":{"input_tokens":20,"output_tokens":5}}"#)
            .unwrap();
        assert_eq!(reply.text, r#"{"a":1}"#);
        assert_eq!((reply.input_tokens, reply.output_tokens), (20, 5));
        assert_eq!(
            Wire::Anthropic.endpoint("https://api.anthropic.com"),
            "https://api.anthropic.com/v1/messages"
        );
    }

    #[test]
    fn json_is_found_inside_prose_and_fences() {
        assert_eq!(json_in("```json\n{\"a\": 1}\n```").unwrap()["a"], 1);
        assert!(json_in("no json here").is_err());
        assert!(json_in("{\"a\": ").is_err());
    }
}
