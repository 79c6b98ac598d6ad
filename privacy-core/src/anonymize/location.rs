//! Geographic coordinates.

use serde::{Deserialize, Serialize};

/// A latitude/longitude pair in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[allow(clippy::exhaustive_structs)] // a plain value users (or generated code) build
pub struct GeoPoint {
    /// Degrees north, -90 to 90.
    pub lat: f64,
    /// Degrees east, -180 to 180.
    pub lon: f64,
}

/// Decimals kept by the `coarse_location` anonymizer: 2 decimals of latitude is about 1.1 km,
/// coarser than the 1,850-foot radius the CPRA calls precise geolocation.
pub const COARSE_DECIMALS: u8 = 2;

/// Rounds both coordinates to `decimals` places, half away from zero (at most 7; more changes
/// nothing measurable). Precision by decimals, at the equator: 0 about 111 km, 1 about 11 km
/// (city level, see [`city_level`]), 2 about 1.1 km (the `coarse_location` anonymizer), 3
/// about 110 m. A point that is not a position (NaN, infinite, latitude beyond ±90 or
/// longitude beyond ±180) becomes `(0, 0)`: nothing of it is kept. `-0.0` comes out as `0.0`.
///
/// ```
/// use privacy_core::anonymize::{coarse_location, GeoPoint};
/// let p = coarse_location(GeoPoint { lat: 37.773_972, lon: -122.431_297 }, 2);
/// assert_eq!(p, GeoPoint { lat: 37.77, lon: -122.43 });
/// ```
pub fn coarse_location(point: GeoPoint, decimals: u8) -> GeoPoint {
    if !valid(point) {
        return GeoPoint { lat: 0.0, lon: 0.0 };
    }
    let scale = 10f64.powi(i32::from(decimals.min(7)));
    // `+ 0.0` turns a rounded `-0.0` into `0.0`.
    GeoPoint {
        lat: (point.lat * scale).round() / scale + 0.0,
        lon: (point.lon * scale).round() / scale + 0.0,
    }
}

/// Snaps a point to the centre of its cell on a grid of [`CITY_GRID_DEGREES`] (0.1 degree,
/// about 11 km north-south): city level. Every point of a cell gives the same output, so the
/// output says which cell, nothing more; invalid points become `(0, 0)` as in
/// [`coarse_location`].
///
/// ```
/// use privacy_core::anonymize::{city_level, GeoPoint};
/// let p = city_level(GeoPoint { lat: 37.773_972, lon: -122.431_297 });
/// assert_eq!(p, GeoPoint { lat: 37.75, lon: -122.45 });
/// ```
pub fn city_level(point: GeoPoint) -> GeoPoint {
    if !valid(point) {
        return GeoPoint { lat: 0.0, lon: 0.0 };
    }
    // Cells are numbered by tenths of a degree; the top edge (90 or 180) belongs to the last
    // cell. The centre is computed as hundredths over 100 so it prints as written (37.75).
    let cell = |deg: f64, limit: f64| {
        let index = (deg * 10.0).floor().min(limit * 10.0 - 1.0);
        (index * 10.0 + 5.0) / 100.0 + 0.0
    };
    GeoPoint {
        lat: cell(point.lat, 90.0),
        lon: cell(point.lon, 180.0),
    }
}

/// The cell size of [`city_level`], in degrees.
pub const CITY_GRID_DEGREES: f64 = 0.1;

fn valid(p: GeoPoint) -> bool {
    p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0
}

/// `(latitude, longitude)`.
impl From<(f64, f64)> for GeoPoint {
    fn from((lat, lon): (f64, f64)) -> Self {
        GeoPoint { lat, lon }
    }
}

/// `(latitude, longitude)`.
impl From<GeoPoint> for (f64, f64) {
    fn from(p: GeoPoint) -> Self {
        (p.lat, p.lon)
    }
}
