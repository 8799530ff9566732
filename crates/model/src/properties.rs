//! Free-form facts about an element, flow or boundary (`encrypted: true`,
//! `csrf_protection: flask-wtf`), kept sorted by name.
//!
//! Key decision: a sorted vector, not a `BTreeMap`. A model declares a handful of properties per
//! item, and a `BTreeMap` allocates a node for eleven on the first one: about 1 KiB per flow,
//! 150 MiB on a model of 100,000 elements. Lookups by binary search over a few entries cost the
//! same. Iteration, serialization and the JSON Schema are those of the map it replaces.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Properties by name, in name order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Properties(Vec<(String, Value)>);

impl Properties {
    pub fn new() -> Self {
        Properties(Vec::new())
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(key, _)| key.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.find(name).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets `name`, returning the value it had.
    pub fn insert(&mut self, name: String, value: Value) -> Option<Value> {
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (name, value));
                None
            }
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each property, in name order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&String, &Value)> {
        self.0.iter().map(|(key, value)| (key, value))
    }

    pub fn keys(&self) -> impl ExactSizeIterator<Item = &String> {
        self.0.iter().map(|(key, _)| key)
    }

    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> {
        self.0.iter().map(|(_, value)| value)
    }
}

impl<'p> IntoIterator for &'p Properties {
    type Item = (&'p String, &'p Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'p, (String, Value)>,
        fn(&'p (String, Value)) -> (&'p String, &'p Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(key, value)| (key, value))
    }
}

/// A later value for the same name replaces the earlier one, as in a map.
impl FromIterator<(String, Value)> for Properties {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(entries: I) -> Self {
        let mut properties = Properties::new();
        for (name, value) in entries {
            properties.insert(name, value);
        }
        properties
    }
}

impl From<BTreeMap<String, Value>> for Properties {
    fn from(map: BTreeMap<String, Value>) -> Self {
        // Already in name order, without repeats.
        Properties(map.into_iter().collect())
    }
}

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (name, value) in self {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;

        impl<'de> Visitor<'de> for Entries {
            type Value = Properties;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of property names to values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
                let mut properties = Properties::new();
                while let Some((name, value)) = map.next_entry::<String, Value>()? {
                    properties.insert(name, value);
                }
                Ok(properties)
            }
        }

        deserializer.deserialize_map(Entries)
    }
}

impl schemars::JsonSchema for Properties {
    fn inline_schema() -> bool {
        <BTreeMap<String, Value> as schemars::JsonSchema>::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        <BTreeMap<String, Value> as schemars::JsonSchema>::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<String, Value> as schemars::JsonSchema>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::Properties;

    proptest! {
        /// Whatever is inserted, in whatever order, reads, iterates and serializes as the
        /// `BTreeMap` it replaces.
        #[test]
        fn behaves_as_the_map_it_replaces(entries in prop::collection::vec(("[a-d]{1,2}", 0u8..4), 0..12)) {
            let mut ours = Properties::new();
            let mut map = BTreeMap::new();
            for (name, value) in &entries {
                prop_assert_eq!(
                    ours.insert(name.clone(), json!(value)),
                    map.insert(name.clone(), json!(value))
                );
            }
            prop_assert_eq!(ours.len(), map.len());
            prop_assert!(ours.iter().eq(map.iter()));
            for name in ["a", "b", "ab", "zz"] {
                prop_assert_eq!(ours.get(name), map.get(name));
                prop_assert_eq!(ours.contains_key(name), map.contains_key(name));
            }
            prop_assert_eq!(
                serde_json::to_string(&ours).expect("serializes"),
                serde_json::to_string(&map).expect("serializes")
            );
            let read: Properties = serde_json::from_str(&serde_json::to_string(&map).expect("serializes"))
                .expect("deserializes");
            prop_assert_eq!(&read, &ours);
            prop_assert_eq!(Properties::from(map), ours);
        }
    }

    #[test]
    fn a_repeated_name_keeps_the_last_value_as_a_map_does() {
        let read: Properties =
            serde_json::from_str(r#"{"b": 1, "a": 2, "b": 3}"#).expect("deserializes");
        assert_eq!(read.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(read.get("b"), Some(&Value::from(3)));
    }
}
