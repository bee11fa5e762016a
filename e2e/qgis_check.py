"""Open eventmap's collections in QGIS the way a user's "OGC API - Features"
connection does, and report what QGIS sees and draws, as one JSON object
per line on stdout. Run by e2e/qgis_test.go under Debian's python3 with
python3-qgis, headless (QT_QPA_PLATFORM=offscreen):

    python3 e2e/qgis_check.py BASE_URL OUT_DIR

For each collection it opens the layer (provider OAPIF, the one behind
Layer > Add WFS / OGC API - Features Layer), counts features, reads them
through a rectangle (QGIS sends it as bbox) and through expressions,
applies a subset string (the layer filter of the layer's properties), and
renders the layer to OUT_DIR/qgis-<collection>.png, reporting whether
pixels are drawn at given map positions.
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFeatureRequest,
    QgsFillSymbol,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsMarkerSymbol,
    QgsPointXY,
    QgsRectangle,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

BASE, OUT = sys.argv[1], sys.argv[2]

# Map positions whose pixels are reported: the Dumayr raid, a point inside
# the weapons caches' area away from any point event, the Palmyra clash.
PROBES = {"dumayr": (36.6939, 33.6439), "caches_area": (37.1, 32.6), "palmyra": (38.268, 34.556)}
# What is rendered: Syria, with some margin.
EXTENT = QgsRectangle(35.0, 32.0, 42.5, 37.5)
SIZE = 600


def emit(**kv):
    print(json.dumps(kv), flush=True)


def drawn(image, settings, lon, lat, radius=3):
    """Whether any pixel within radius of (lon, lat) differs from white."""
    p = settings.mapToPixel().transform(QgsPointXY(lon, lat))
    x0, y0 = int(round(p.x())), int(round(p.y()))
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            x, y = x0 + dx, y0 + dy
            if 0 <= x < image.width() and 0 <= y < image.height():
                c = QColor(image.pixel(x, y))
                if (c.red(), c.green(), c.blue()) != (255, 255, 255):
                    return True
    return False


def count(layer, request=None):
    return sum(1 for _ in layer.getFeatures(request or QgsFeatureRequest()))


def check(collection):
    # The URI a connection's "Add" makes: the service URL and the
    # collection id as the type name.
    uri = "url='%s' typename='%s' restrictToRequestBBOX='1'" % (BASE, collection)
    layer = QgsVectorLayer(uri, collection, "OAPIF")
    out = {"collection": collection, "valid": layer.isValid()}
    if not layer.isValid():
        emit(**out, error=layer.error().summary())
        return
    out["wkb_type"] = QgsWkbTypes.displayString(layer.wkbType())
    out["feature_count"] = layer.featureCount()
    out["fields"] = [f.name() for f in layer.fields()]
    feats = list(layer.getFeatures())
    out["features"] = len(feats)
    out["geometry_types"] = sorted({QgsWkbTypes.displayString(f.geometry().wkbType()) for f in feats if f.hasGeometry()})
    out["ids"] = sorted(str(f["id"]) for f in feats)
    # A rectangle around Dumayr, then over the south (the caches' area).
    out["in_dumayr_rect"] = count(layer, QgsFeatureRequest().setFilterRect(QgsRectangle(36.5, 33.5, 36.9, 33.8)))
    out["in_south_rect"] = count(layer, QgsFeatureRequest().setFilterRect(QgsRectangle(35.7, 32.3, 37.0, 33.0)))
    # Expressions a user types in the feature request or the layer filter.
    if "fatalities" in out["fields"]:
        out["fatalities_ge_1"] = count(layer, QgsFeatureRequest().setFilterExpression('"fatalities" >= 1'))
        out["more_than_civilians"] = count(layer, QgsFeatureRequest().setFilterExpression('"fatalities" > "civilian_fatalities"'))
        # Unknown is not zero. Read again (QGIS serves it from its cache).
        out["unknown_fatalities"] = count(layer, QgsFeatureRequest().setFilterExpression('"fatalities" IS NULL'))
        layer.setSubsetString("\"type\" = 'raid' OR \"geo_precision\" = 'region'")
        out["subset_raid_or_region"] = count(layer)
        layer.setSubsetString("")
        # The same collection through GDAL's OAPIF driver (Layer > Add
        # Vector Layer, protocol OGC API - Features).
        gdal = QgsVectorLayer("OAPIF:%s|layername=%s" % (BASE, collection), collection + " (GDAL)", "ogr")
        count(gdal)
        out["gdal_unknown_fatalities"] = count(gdal, QgsFeatureRequest().setFilterExpression('"fatalities" IS NULL'))
        out["gdal_wkb_type"] = QgsWkbTypes.displayString(gdal.wkbType())
        del gdal
    elif "name" in out["fields"]:
        out["badiya"] = count(layer, QgsFeatureRequest().setFilterExpression("\"name\" LIKE 'Badiya%'"))

    # Render with a plain symbol, so pixels are easy to tell from white.
    if layer.geometryType() == QgsWkbTypes.PointGeometry:
        layer.renderer().setSymbol(QgsMarkerSymbol.createSimple({"name": "circle", "color": "220,30,30", "size": "3"}))
    elif layer.geometryType() == QgsWkbTypes.PolygonGeometry:
        layer.renderer().setSymbol(QgsFillSymbol.createSimple({"color": "30,90,220,160", "outline_color": "0,0,0"}))
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("OGC:CRS84"))
    settings.setExtent(EXTENT)
    settings.setOutputSize(QSize(SIZE, SIZE))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    path = os.path.join(OUT, "qgis-%s.png" % collection)
    image.save(path)
    out["render"] = path
    out["drawn"] = {name: drawn(image, settings, *pos) for name, pos in PROBES.items()}
    emit(**out)
    # QGIS 3.22 crashes in exitQgis() while a layer is still alive.
    del layer


def main():
    app = QgsApplication([], False)
    app.initQgis()
    emit(qgis=Qgis.version())
    try:
        for collection in sys.argv[3:] or ["events", "events-points", "events-areas", "regions"]:
            check(collection)
    finally:
        app.exitQgis()


if __name__ == "__main__":
    main()
