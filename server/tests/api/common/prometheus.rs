//! Reads a Prometheus text exposition (what GET /metrics answers) into samples.

/// One line of the exposition: `name{label="value",…} value`.
#[derive(Debug)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// The samples of a Prometheus text exposition (comments skipped).
pub fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a value after the series");
            let value = value.parse().expect("a number");
            let Some((name, labels)) = series.split_once('{') else {
                return Sample {
                    name: series.to_owned(),
                    labels: Vec::new(),
                    value,
                };
            };
            Sample {
                name: name.to_owned(),
                labels: parse_labels(labels.strip_suffix('}').expect("labels end with }")),
                value,
            }
        })
        .collect()
}

/// `a="x",b="y \"quoted\""` into pairs, unescaping `\\`, `\"` and `\n`.
fn parse_labels(text: &str) -> Vec<(String, String)> {
    let mut labels = Vec::new();
    let mut rest = text;
    while let Some((key, after)) = rest.split_once("=\"") {
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("a closing quote") {
                (i, '"') => break i,
                (_, '\\') => match chars.next().expect("an escaped character").1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (_, c) => value.push(c),
            }
        };
        labels.push((key.trim_start_matches(',').to_owned(), value));
        rest = &after[end + 1..];
    }
    labels
}

pub type Labels<'a> = &'a [(&'a str, &'a str)];

/// An exposition as text and as samples.
pub struct Exposition {
    pub text: String,
    pub samples: Vec<Sample>,
}

impl Exposition {
    pub fn new(text: String) -> Self {
        Self {
            samples: parse(&text),
            text,
        }
    }

    /// The sum of the series of `name` that carry all of `labels` (0 when there is none).
    pub fn value(&self, name: &str, labels: Labels) -> f64 {
        self.matching(name, labels).map(|s| s.value).sum()
    }

    pub fn has(&self, name: &str, labels: Labels) -> bool {
        self.matching(name, labels).next().is_some()
    }

    pub fn matching<'s>(
        &'s self,
        name: &'s str,
        labels: Labels<'s>,
    ) -> impl Iterator<Item = &'s Sample> + 's {
        self.samples.iter().filter(move |sample| {
            sample.name == name
                && labels
                    .iter()
                    .all(|(k, v)| sample.labels.iter().any(|(sk, sv)| sk == k && sv == v))
        })
    }
}

/// Reads `text`, an exposition of two samples: `x_total` with `labels` and the value 12, then
/// `plain 1.5` (the parser tests' shape).
#[track_caller]
pub fn assert_reads_two_samples(text: &str, labels: Labels) {
    let read = parse(text);
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].name, "x_total");
    let read_labels: Vec<(&str, &str)> = read[0]
        .labels
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    assert_eq!(read_labels, labels);
    assert_eq!(read[0].value, 12.0);
    assert_eq!((read[1].name.as_str(), read[1].value), ("plain", 1.5));
}
