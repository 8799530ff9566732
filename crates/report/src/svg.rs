//! The data flow diagram as SVG, laid out by threatscribe itself (no Graphviz, no browser).
//!
//! Layout: every element gets a rank (outside parties that start conversations on the left,
//! each hop one column further right, stores after the processes that use them). Each trust
//! boundary is a box that lays out its own elements and inner boxes in rank columns, so boxes
//! nest and never overlap. Flows are straight arrows between node borders, labelled with their
//! protocol. Past `COLLAPSE_AT` elements the top-level boundaries are drawn as one node each,
//! with the flows between them counted, so the picture stays legible.

#![allow(clippy::cast_precision_loss)] // label lengths and counts are small

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use threatscribe_engine::Analysis;
use threatscribe_model::{ElementKind, Model};

/// Above this many elements, top-level boundaries collapse into single nodes.
pub const COLLAPSE_AT: usize = 60;

const NODE_HEIGHT: f64 = 50.0;
const COLUMN_GAP: f64 = 90.0;
const ROW_GAP: f64 = 26.0;
const PADDING: f64 = 18.0;
const LABEL_HEIGHT: f64 = 24.0;
const CHAR_WIDTH: f64 = 7.0;
/// Items stacked in one column before it wraps into the next.
const MAX_COLUMN: usize = 6;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    External,
    Process,
    Store,
    /// A collapsed boundary.
    Group,
}

struct Node {
    label: String,
    sublabel: String,
    shape: Shape,
    /// Index of the box (boundary) holding it; `None` at the top level.
    container: Option<usize>,
    rank: usize,
}

struct Edge {
    from: usize,
    to: usize,
    label: String,
}

struct Container {
    label: String,
    parent: Option<usize>,
}

/// Positioned rectangle.
#[derive(Clone, Copy, Default)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Cuts a label to `max` characters with an ellipsis.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

fn node_width(node: &Node) -> f64 {
    let longest = node
        .label
        .chars()
        .count()
        .max(node.sublabel.chars().count())
        .min(30);
    (longest as f64 * CHAR_WIDTH + 28.0).max(110.0)
}

/// Ranks by flow direction: sources on the left, each hop one column right, bounded so that
/// cycles end.
fn assign_ranks(nodes: &mut [Node], edges: &[Edge]) {
    let limit = nodes.len().min(12);
    let has_outgoing: Vec<bool> = (0..nodes.len())
        .map(|n| edges.iter().any(|e| e.from == n))
        .collect();
    for _ in 0..limit {
        let mut changed = false;
        for edge in edges {
            let is_source = nodes[edge.to].shape == Shape::External && has_outgoing[edge.to];
            // Stores are where data rests: what they feed does not move further right.
            let from_store = nodes[edge.from].shape == Shape::Store;
            if is_source || from_store || edge.from == edge.to {
                continue;
            }
            let wanted = (nodes[edge.from].rank + 1).min(limit);
            if nodes[edge.to].rank < wanted {
                nodes[edge.to].rank = wanted;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Internal components nothing calls (schedulers, workers) sit one column before what they
    // call, never in the outside parties' column.
    for n in 0..nodes.len() {
        let internal = matches!(nodes[n].shape, Shape::Process | Shape::Store);
        if internal && !edges.iter().any(|e| e.to == n && e.from != n) {
            let next = edges
                .iter()
                .filter(|e| e.from == n && e.to != n)
                .map(|e| nodes[e.to].rank)
                .min();
            nodes[n].rank = next.map_or(1, |r| r.saturating_sub(1));
        }
        if internal {
            nodes[n].rank = nodes[n].rank.max(1);
        }
    }
}

struct Layout {
    nodes: Vec<Rect>,
    containers: Vec<Rect>,
}

/// Lays out the content of one container (or the top level) with its top-left at (0, 0);
/// returns its size. Positions are relative until `shift` places them.
fn layout_container(container: Option<usize>, graph: &Graph, layout: &mut Layout) -> (f64, f64) {
    enum Item {
        Node(usize),
        Box(usize),
    }
    let mut items: Vec<(usize, Item, f64, f64)> = Vec::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        if node.container == container {
            items.push((node.rank, Item::Node(i), node_width(node), NODE_HEIGHT));
        }
    }
    for (c, inner) in graph.containers.iter().enumerate() {
        if inner.parent == container {
            let (w, h) = layout_container(Some(c), graph, layout);
            let rank = graph.min_rank(c);
            items.push((
                rank,
                Item::Box(c),
                w + 2.0 * PADDING,
                h + 2.0 * PADDING + LABEL_HEIGHT,
            ));
        }
    }
    let mut by_rank: BTreeMap<usize, Vec<(Item, f64, f64)>> = BTreeMap::new();
    for (rank, item, w, h) in items {
        by_rank.entry(rank).or_default().push((item, w, h));
    }
    // A rank with many items wraps into several columns, so no column runs off the page.
    let mut columns: Vec<Vec<(Item, f64, f64)>> = Vec::new();
    for (_, mut rank_items) in by_rank {
        while rank_items.len() > MAX_COLUMN {
            let rest = rank_items.split_off(MAX_COLUMN);
            columns.push(rank_items);
            rank_items = rest;
        }
        columns.push(rank_items);
    }
    let (mut x, mut height) = (0.0_f64, 0.0_f64);
    for column in &columns {
        let width = column.iter().map(|(_, w, _)| *w).fold(0.0, f64::max);
        let mut y = 0.0;
        for (item, w, h) in column {
            let rect = Rect {
                x: x + (width - w) / 2.0,
                y,
                w: *w,
                h: *h,
            };
            match item {
                Item::Node(n) => layout.nodes[*n] = rect,
                Item::Box(c) => {
                    let inner = Rect {
                        x: rect.x + PADDING,
                        y: rect.y + PADDING + LABEL_HEIGHT,
                        ..rect
                    };
                    shift(*c, graph, layout, inner.x, inner.y);
                    layout.containers[*c] = rect;
                }
            }
            y += h + ROW_GAP;
        }
        height = height.max(y - ROW_GAP);
        x += width + COLUMN_GAP;
    }
    ((x - COLUMN_GAP).max(0.0), height.max(0.0))
}

/// Moves everything inside container `c` by (dx, dy): its content was laid out at the origin.
fn shift(c: usize, graph: &Graph, layout: &mut Layout, dx: f64, dy: f64) {
    for (i, node) in graph.nodes.iter().enumerate() {
        if node.container == Some(c) {
            layout.nodes[i].x += dx;
            layout.nodes[i].y += dy;
        }
    }
    for (inner, def) in graph.containers.iter().enumerate() {
        if def.parent == Some(c) {
            layout.containers[inner].x += dx;
            layout.containers[inner].y += dy;
            shift(inner, graph, layout, dx, dy);
        }
    }
}

struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    containers: Vec<Container>,
}

impl Graph {
    fn min_rank(&self, c: usize) -> usize {
        let direct = self
            .nodes
            .iter()
            .filter(|n| n.container == Some(c))
            .map(|n| n.rank);
        let nested = self
            .containers
            .iter()
            .enumerate()
            .filter(|(_, x)| x.parent == Some(c))
            .map(|(i, _)| self.min_rank(i));
        direct.chain(nested).min().unwrap_or(0)
    }

    /// Every element a node of its own, boundaries as boxes.
    fn full(analysis: &Analysis) -> Graph {
        let model = &analysis.model;
        let boundary_index = |id: &str| model.boundaries.iter().position(|b| b.id == id);
        let containers = model
            .boundaries
            .iter()
            .map(|b| Container {
                label: format!("{} ({})", b.name, b.kind),
                parent: b.parent.as_deref().and_then(boundary_index),
            })
            .collect();
        let nodes = model
            .elements
            .iter()
            .map(|e| Node {
                label: e.name.clone(),
                sublabel: e
                    .technologies
                    .iter()
                    .filter(|t| !analysis.technology_name(t).is_empty())
                    .take(2)
                    .map(|t| analysis.technology_name(t))
                    .collect::<Vec<_>>()
                    .join(", "),
                shape: match e.kind {
                    ElementKind::ExternalEntity => Shape::External,
                    ElementKind::Process => Shape::Process,
                    ElementKind::DataStore => Shape::Store,
                },
                container: e.boundary.as_deref().and_then(boundary_index),
                rank: 0,
            })
            .collect();
        let index = |id: &str| analysis.element_index(id);
        let edges = model
            .flows
            .iter()
            .filter_map(|f| {
                Some(Edge {
                    from: index(&f.from)?,
                    to: index(&f.to)?,
                    label: f
                        .protocol
                        .as_deref()
                        .map(|p| analysis.technology_name(p).to_owned())
                        .unwrap_or_default(),
                })
            })
            .collect();
        Graph {
            nodes,
            edges,
            containers,
        }
    }

    /// Top-level boundaries as single nodes; flows between them counted.
    fn collapsed(model: &Model) -> Graph {
        let top = |boundary: Option<&str>| -> Option<usize> {
            let chain = model.boundary_chain(boundary);
            chain
                .last()
                .and_then(|b| model.boundaries.iter().position(|x| x.id == b.id))
        };
        let mut nodes: Vec<Node> = Vec::new();
        let mut group_node: BTreeMap<usize, usize> = BTreeMap::new();
        let mut element_node: Vec<usize> = Vec::new();
        for e in &model.elements {
            let node = if let Some(b) = top(e.boundary.as_deref()) {
                *group_node.entry(b).or_insert_with(|| {
                    let boundary = &model.boundaries[b];
                    nodes.push(Node {
                        label: boundary.name.clone(),
                        sublabel: String::new(),
                        shape: Shape::Group,
                        container: None,
                        rank: 0,
                    });
                    nodes.len() - 1
                })
            } else {
                nodes.push(Node {
                    label: e.name.clone(),
                    sublabel: String::new(),
                    shape: match e.kind {
                        ElementKind::ExternalEntity => Shape::External,
                        ElementKind::Process => Shape::Process,
                        ElementKind::DataStore => Shape::Store,
                    },
                    container: None,
                    rank: 0,
                });
                nodes.len() - 1
            };
            element_node.push(node);
        }
        let mut members: HashMap<usize, usize> = HashMap::new();
        for e in &model.elements {
            if let Some(b) = top(e.boundary.as_deref()) {
                *members.entry(b).or_default() += 1;
            }
        }
        for (b, &n) in &group_node {
            let count = members.get(b).copied().unwrap_or(0);
            nodes[n].sublabel = format!("{} ({count} elements)", model.boundaries[*b].kind);
        }
        let positions: HashMap<&str, usize> = model
            .elements
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.as_str(), i))
            .collect();
        let index = |id: &str| positions.get(id).copied();
        let mut counts: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for f in &model.flows {
            if let (Some(a), Some(b)) = (index(&f.from), index(&f.to)) {
                let (a, b) = (element_node[a], element_node[b]);
                if a != b {
                    *counts.entry((a, b)).or_default() += 1;
                }
            }
        }
        let edges = counts
            .into_iter()
            .map(|((from, to), n)| Edge {
                from,
                to,
                label: if n == 1 {
                    "1 flow".into()
                } else {
                    format!("{n} flows")
                },
            })
            .collect();
        Graph {
            nodes,
            edges,
            containers: Vec::new(),
        }
    }
}

/// Where the line from the centre of `a` towards `b`'s centre leaves `a`'s rectangle.
fn border_point(a: Rect, b: Rect) -> (f64, f64) {
    let (cx, cy) = (a.x + a.w / 2.0, a.y + a.h / 2.0);
    let (dx, dy) = (b.x + b.w / 2.0 - cx, b.y + b.h / 2.0 - cy);
    if dx == 0.0 && dy == 0.0 {
        return (cx, cy);
    }
    let scale_x = if dx == 0.0 {
        f64::INFINITY
    } else {
        (a.w / 2.0) / dx.abs()
    };
    let scale_y = if dy == 0.0 {
        f64::INFINITY
    } else {
        (a.h / 2.0) / dy.abs()
    };
    let scale = scale_x.min(scale_y);
    (cx + dx * scale, cy + dy * scale)
}

fn draw_node(out: &mut String, node: &Node, r: Rect) {
    let (fill, stroke) = match node.shape {
        Shape::External => ("#eef1f4", "#5b6770"),
        Shape::Process => ("#e6f0fb", "#2c6db5"),
        Shape::Store => ("#fdf6e3", "#a27b12"),
        Shape::Group => ("#fbeceb", "#b03a2e"),
    };
    let _ = match node.shape {
        Shape::External | Shape::Group => writeln!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="2" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#,
            r.x, r.y, r.w, r.h
        ),
        Shape::Process => writeln!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="{:.1}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#,
            r.x,
            r.y,
            r.w,
            r.h,
            r.h / 2.0
        ),
        Shape::Store => writeln!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}" stroke="none"/><path d="M{:.1},{:.1} h{:.1} M{:.1},{:.1} h{:.1}" stroke="{stroke}" stroke-width="2"/>"#,
            r.x,
            r.y,
            r.w,
            r.h,
            r.x,
            r.y,
            r.w,
            r.x,
            r.y + r.h,
            r.w
        ),
    };
    let cx = r.x + r.w / 2.0;
    if node.sublabel.is_empty() {
        let _ = writeln!(
            out,
            r#"<text x="{cx:.1}" y="{:.1}" class="n">{}</text>"#,
            r.y + r.h / 2.0 + 4.5,
            xml(&clip(&node.label, 30))
        );
    } else {
        let _ = writeln!(
            out,
            r#"<text x="{cx:.1}" y="{:.1}" class="n">{}</text>"#,
            r.y + r.h / 2.0 - 2.0,
            xml(&clip(&node.label, 30))
        );
        let _ = writeln!(
            out,
            r#"<text x="{cx:.1}" y="{:.1}" class="s">{}</text>"#,
            r.y + r.h / 2.0 + 13.0,
            xml(&clip(&node.sublabel, 34))
        );
    }
}

/// The SVG document of the model's data flow diagram.
pub fn svg(analysis: &Analysis) -> String {
    let mut graph = if analysis.model.elements.len() > COLLAPSE_AT {
        Graph::collapsed(&analysis.model)
    } else {
        Graph::full(analysis)
    };
    let Graph { nodes, edges, .. } = &mut graph;
    assign_ranks(nodes, edges);
    let mut layout = Layout {
        nodes: vec![Rect::default(); graph.nodes.len()],
        containers: vec![Rect::default(); graph.containers.len()],
    };
    let (w, h) = layout_container(None, &graph, &mut layout);
    let margin = 20.0;
    shift_all(&mut layout, margin, margin);
    let (width, height) = (w + 2.0 * margin, h + 2.0 * margin);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-label="{}">"#,
        xml(&format!("Data flow diagram of {}", analysis.model.name))
    );
    out.push_str(r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>
<style>text{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif}.n{font-size:13px;text-anchor:middle;fill:#1d1d1f}.s{font-size:10.5px;text-anchor:middle;fill:#555}.b{font-size:12px;font-weight:600;fill:#b03a2e}.e{font-size:10.5px;text-anchor:middle;fill:#333}</style>
"##);
    for (c, r) in layout.containers.iter().enumerate() {
        let _ = writeln!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="8" fill="none" stroke="#b03a2e" stroke-width="1.3" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" class="b">{}</text>"##,
            r.x,
            r.y,
            r.w,
            r.h,
            r.x + 10.0,
            r.y + 17.0,
            xml(&clip(&graph.containers[c].label, 48))
        );
    }
    for edge in &graph.edges {
        let (a, b) = (layout.nodes[edge.from], layout.nodes[edge.to]);
        let (x1, y1) = border_point(a, b);
        let (x2, y2) = border_point(b, a);
        let _ = writeln!(
            out,
            r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#444" stroke-width="1.3" marker-end="url(#arrow)"/>"##
        );
        if !edge.label.is_empty() {
            let (mx, my) = (f64::midpoint(x1, x2), f64::midpoint(y1, y2));
            let label = clip(&edge.label, 24);
            let lw = label.chars().count() as f64 * 6.2 + 8.0;
            let _ = writeln!(
                out,
                r##"<rect x="{:.1}" y="{:.1}" width="{lw:.1}" height="15" rx="3" fill="#fff" opacity="0.9"/><text x="{mx:.1}" y="{:.1}" class="e">{}</text>"##,
                mx - lw / 2.0,
                my - 10.0,
                my + 1.5,
                xml(&label)
            );
        }
    }
    for (node, rect) in graph.nodes.iter().zip(&layout.nodes) {
        draw_node(&mut out, node, *rect);
    }
    out.push_str("</svg>\n");
    out
}

/// Where an element or boundary sits on the diagram: its id and `[x, y, width, height]`.
pub type Placed = Vec<(String, [f64; 4])>;

/// Where the full diagram (every element its own node, boundaries as nested boxes) places each
/// element and each boundary, in model order. Exports reuse it, so another tool opens the model
/// laid out as threatscribe draws it.
pub fn placements(analysis: &Analysis) -> (Placed, Placed) {
    let mut graph = Graph::full(analysis);
    let Graph { nodes, edges, .. } = &mut graph;
    assign_ranks(nodes, edges);
    let mut layout = Layout {
        nodes: vec![Rect::default(); graph.nodes.len()],
        containers: vec![Rect::default(); graph.containers.len()],
    };
    layout_container(None, &graph, &mut layout);
    shift_all(&mut layout, 20.0, 20.0);
    let model = &analysis.model;
    let place = |r: &Rect| [r.x.round(), r.y.round(), r.w.round(), r.h.round()];
    (
        model
            .elements
            .iter()
            .zip(&layout.nodes)
            .map(|(e, r)| (e.id.clone(), place(r)))
            .collect(),
        model
            .boundaries
            .iter()
            .zip(&layout.containers)
            .map(|(b, r)| (b.id.clone(), place(r)))
            .collect(),
    )
}

fn shift_all(layout: &mut Layout, dx: f64, dy: f64) {
    for r in layout.nodes.iter_mut().chain(layout.containers.iter_mut()) {
        r.x += dx;
        r.y += dy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(
            xml("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn border_points_sit_on_the_rectangle() {
        let a = Rect {
            x: 0.0,
            y: 0.0,
            w: 100.0,
            h: 50.0,
        };
        let b = Rect {
            x: 300.0,
            y: 0.0,
            w: 100.0,
            h: 50.0,
        };
        assert_eq!(border_point(a, b), (100.0, 25.0));
        assert_eq!(border_point(b, a), (300.0, 25.0));
    }
}
