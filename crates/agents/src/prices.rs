//! Token prices: a built-in table, which a user's file extends or overrides.

use std::collections::BTreeMap;

use serde::Deserialize;

const BUILTIN: &str = include_str!("prices.yaml");

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

impl Price {
    // Token counts stay far below 2^52, where f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    pub fn cost(self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input + output_tokens as f64 * self.output) / 1_000_000.0
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    #[serde(default)]
    as_of: Option<String>,
    models: BTreeMap<String, Price>,
}

/// Prices by model-name prefix.
#[derive(Debug, Clone)]
pub struct Prices {
    models: BTreeMap<String, Price>,
    /// Where the prices come from, for the report.
    pub source: String,
}

impl Prices {
    pub fn builtin() -> Self {
        let file: PriceFile =
            serde_saphyr::from_str(BUILTIN).expect("the built-in price table is valid YAML");
        Prices {
            models: file.models,
            source: format!(
                "the built-in price table (as of {})",
                file.as_of.as_deref().unwrap_or("unknown")
            ),
        }
    }

    /// The built-in table with a user's file on top; `name` is how the file is referred to.
    pub fn with_overrides(text: &str, name: &str) -> Result<Self, String> {
        let file: PriceFile = serde_saphyr::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        if let Some((model, _)) = file.models.iter().find(|(_, p)| {
            !(p.input.is_finite() && p.output.is_finite() && p.input >= 0.0 && p.output >= 0.0)
        }) {
            return Err(format!(
                "{name}: the price of `{model}` must be a number of dollars, 0 or more"
            ));
        }
        let mut prices = Self::builtin();
        prices.models.extend(file.models);
        prices.source = format!("{name} over {}", prices.source);
        Ok(prices)
    }

    /// The price of a model: the entry with the longest name that prefixes it.
    pub fn get(&self, model: &str) -> Option<Price> {
        self.models
            .iter()
            .filter(|(prefix, _)| model.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, price)| *price)
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // prices read from text compare exactly
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_wins() {
        let prices = Prices::builtin();
        assert_eq!(prices.get("gpt-4o-mini-2024-07-18").unwrap().input, 0.15);
        assert_eq!(prices.get("gpt-4o-2024-08-06").unwrap().input, 2.50);
        assert!(prices.get("llama3.1:8b").is_none());
    }

    #[test]
    fn a_file_overrides_and_extends() {
        let prices = Prices::with_overrides(
            "models:\n  gpt-4o: {input: 1, output: 2}\n  llama3: {input: 0, output: 0}\n",
            "p.yaml",
        )
        .unwrap();
        assert_eq!(
            prices.get("gpt-4o").unwrap(),
            Price {
                input: 1.0,
                output: 2.0
            }
        );
        assert_eq!(prices.get("llama3.1").unwrap().output, 0.0);
        assert!((prices.get("gpt-4o").unwrap().cost(1_000_000, 500_000) - 2.0).abs() < 1e-9);
        assert!(Prices::with_overrides("models:\n  x: {input: -1, output: 0}\n", "p").is_err());
        assert!(Prices::with_overrides("modles: {}\n", "p").is_err());
    }
}
