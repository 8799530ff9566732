//! A value with the line and column it was written at.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value of a model file and where it was written: line and column (1-based, in characters),
/// `(0, 0)` when the reader could not tell.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub at: (u32, u32),
}

/// The YAML reader records where each value is; any other reader (`serde_json`, for the JSON
/// fast path) gives `(0, 0)`, which the JSON path then fills from its own scan.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
        let place = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(Spanned {
            value: spanned.value,
            at: (
                place(spanned.referenced.line()),
                place(spanned.referenced.column()),
            ),
        })
    }
}

/// As the bare value (the model file's schema shows defaults this way).
impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}
