//! A small map of points drawn on the server: the tiles of a configured tile source
//! (`https://tile.example/{z}/{x}/{y}.png`, Web Mercator "slippy map" tiles) laid out in an
//! SVG with a marker per point. No script, no library: it shows in any browser, and the page's
//! Content-Security-Policy only has to allow images from the tile source's origin.

/// Where tiles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileSource {
    /// The URL template with `{z}`, `{x}` and `{y}`.
    pub template: String,
    /// Shown under the map (tile providers require it).
    pub attribution: String,
}

impl TileSource {
    /// A tile source from a template; `None` unless it is an http(s) URL with `{z}`, `{x}`
    /// and `{y}`.
    pub fn new(template: &str, attribution: Option<&str>) -> Option<TileSource> {
        let t = template.trim();
        let ok = (t.starts_with("https://") || t.starts_with("http://"))
            && ["{z}", "{x}", "{y}"].iter().all(|p| t.contains(p));
        ok.then(|| TileSource {
            template: t.to_string(),
            attribution: attribution
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .unwrap_or("© OpenStreetMap contributors")
                .to_string(),
        })
    }

    /// The source's origin (`https://tile.example`), for the page's `img-src`.
    pub fn origin(&self) -> &str {
        let after = self.template.find("://").map_or(0, |i| i + 3);
        let end = self.template[after..]
            .find('/')
            .map_or(self.template.len(), |i| after + i);
        &self.template[..end]
    }

    fn url(&self, z: u32, x: i64, y: i64) -> String {
        self.template
            .replace("{z}", &z.to_string())
            .replace("{x}", &x.to_string())
            .replace("{y}", &y.to_string())
    }
}

/// A point to mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
    /// What the marker says (its tooltip and accessible name).
    pub label: String,
    pub href: String,
}

/// A tile placed in the map's SVG coordinates (one tile is 256 units).
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedTile {
    pub url: String,
    pub x: i64,
    pub y: i64,
}

/// A marker placed in the map's SVG coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedMarker {
    pub x: i64,
    pub y: i64,
    pub label: String,
    pub href: String,
}

/// The map, ready for the template: an SVG `width` × `height` units.
#[derive(Debug, Clone, PartialEq)]
pub struct TileMap {
    pub width: i64,
    pub height: i64,
    pub zoom: u32,
    pub tiles: Vec<PlacedTile>,
    pub markers: Vec<PlacedMarker>,
    pub attribution: String,
}

const TILE: f64 = 256.0;
/// The map is this many tiles wide and high.
const COLS: f64 = 3.0;
const ROWS: f64 = 2.0;
const MAX_ZOOM: u32 = 16;
const MIN_ZOOM: u32 = 5;
/// Web Mercator ends here.
const MAX_LAT: f64 = 85.051_128;

/// A point's position in tile units at zoom 0 (0..1 both ways).
fn project(lat: f64, lon: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x, y)
}

/// Lay out a map that shows every point (the closest zoom at which they fit with a margin),
/// or `None` when there is nothing to show.
pub fn tile_map(source: &TileSource, points: &[Point]) -> Option<TileMap> {
    let projected: Vec<(f64, f64, &Point)> = points
        .iter()
        .filter(|p| p.latitude.is_finite() && p.longitude.is_finite())
        .filter(|p| (-180.0..=180.0).contains(&p.longitude) && (-90.0..=90.0).contains(&p.latitude))
        .map(|p| {
            let (x, y) = project(p.latitude, p.longitude);
            (x, y, p)
        })
        .collect();
    if projected.is_empty() {
        return None;
    }
    let (min_x, max_x, min_y, max_y) = projected.iter().fold(
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
        |(a, b, c, d), (x, y, _)| (a.min(*x), b.max(*x), c.min(*y), d.max(*y)),
    );
    // The closest zoom at which the points span at most 80 % of the map.
    let zoom = (MIN_ZOOM..=MAX_ZOOM)
        .rev()
        .find(|z| {
            let n = f64::from(1u32 << z);
            (max_x - min_x) * n <= COLS * 0.8 && (max_y - min_y) * n <= ROWS * 0.8
        })
        .unwrap_or(MIN_ZOOM);
    let n = f64::from(1u32 << zoom);
    let (cx, cy) = ((min_x + max_x) / 2.0 * n, (min_y + max_y) / 2.0 * n);
    // The view's top-left corner in tile units, kept inside the world vertically.
    let vx = cx - COLS / 2.0;
    let vy = (cy - ROWS / 2.0).clamp(0.0, (n - ROWS).max(0.0));
    let mut tiles = Vec::new();
    let tiles_n = 1i64 << zoom;
    for ty in (vy.floor() as i64)..((vy + ROWS).ceil() as i64) {
        if !(0..tiles_n).contains(&ty) {
            continue;
        }
        for tx in (vx.floor() as i64)..((vx + COLS).ceil() as i64) {
            tiles.push(PlacedTile {
                url: source.url(zoom, tx.rem_euclid(tiles_n), ty),
                x: ((tx as f64 - vx) * TILE).round() as i64,
                y: ((ty as f64 - vy) * TILE).round() as i64,
            });
        }
    }
    let markers = projected
        .iter()
        .map(|(x, y, p)| PlacedMarker {
            x: ((x * n - vx) * TILE).round() as i64,
            y: ((y * n - vy) * TILE).round() as i64,
            label: p.label.clone(),
            href: p.href.clone(),
        })
        .collect();
    Some(TileMap {
        width: (COLS * TILE) as i64,
        height: (ROWS * TILE) as i64,
        zoom,
        tiles,
        markers,
        attribution: source.attribution.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn osm() -> TileSource {
        TileSource::new("https://tile.example.org/{z}/{x}/{y}.png", None).unwrap()
    }

    fn point(lat: f64, lon: f64) -> Point {
        Point {
            latitude: lat,
            longitude: lon,
            label: "x".into(),
            href: "/lacak/LG-1".into(),
        }
    }

    #[test]
    fn a_source_needs_a_url_with_its_three_placeholders() {
        assert!(TileSource::new("https://t.example/{z}/{x}/{y}.png", None).is_some());
        assert!(TileSource::new("https://t.example/{z}/{x}.png", None).is_none());
        assert!(TileSource::new("javascript:alert(1)//{z}{x}{y}", None).is_none());
        assert_eq!(osm().origin(), "https://tile.example.org");
        assert_eq!(
            TileSource::new("http://localhost:8080/t/{z}/{x}/{y}", None)
                .unwrap()
                .origin(),
            "http://localhost:8080"
        );
    }

    #[test]
    fn no_points_no_map() {
        assert!(tile_map(&osm(), &[]).is_none());
        assert!(tile_map(&osm(), &[point(f64::NAN, 110.0)]).is_none());
    }

    #[test]
    fn every_marker_is_inside_the_map_and_on_a_tile() {
        // Semarang and Solo, about 90 km apart.
        let pts = [point(-6.9667, 110.4167), point(-7.5667, 110.8167)];
        let m = tile_map(&osm(), &pts).unwrap();
        assert!((MIN_ZOOM..=MAX_ZOOM).contains(&m.zoom));
        for mk in &m.markers {
            assert!((0..=m.width).contains(&mk.x) && (0..=m.height).contains(&mk.y));
            assert!(
                m.tiles
                    .iter()
                    .any(|t| (t.x..t.x + 256).contains(&mk.x) && (t.y..t.y + 256).contains(&mk.y))
            );
        }
        // The tiles cover the whole map.
        assert!(m.tiles.iter().any(|t| t.x <= 0 && t.y <= 0));
        assert!(
            m.tiles
                .iter()
                .all(|t| t.url.starts_with("https://tile.example.org/"))
        );
    }

    #[test]
    fn one_point_is_shown_close_up_in_the_middle() {
        let m = tile_map(&osm(), &[point(-6.9667, 110.4167)]).unwrap();
        assert_eq!(m.zoom, MAX_ZOOM);
        assert_eq!((m.markers[0].x, m.markers[0].y), (384, 256));
    }

    #[test]
    fn the_known_tile_of_a_place() {
        // Semarang at zoom 10 is tile x 826, y 531 (slippy-map arithmetic).
        let (x, y) = project(-6.9667, 110.4167);
        assert_eq!(((x * 1024.0) as i64, (y * 1024.0) as i64), (826, 531));
    }
}
