"""Build the font of the visible signature stamp: ``src/archive/reports/fonts/DejaVuSans-stamp.ttf``.

    .venv/bin/python tools/stamp_font.py

pyHanko 0.38 writes glyph widths in font units where PDF wants 1/1000 em, so a TrueType font with
2048 units per em (DejaVu Sans) comes out with its letters spread apart. The stamp's font is
therefore DejaVu Sans cut down to Latin + Vietnamese (and punctuation) and rescaled to 1000 units
per em, which also makes each signature's subsetting cheaper. Building it takes about 1 s of
CPU, which every process that signed once paid at its first signature: it is built here, once,
and shipped (``tests/unit/test_issue_stamp.py`` checks the shipped file's properties). Run it
again after changing the ranges or the source font. Needs fontTools only (pyHanko's dependency).
"""
import os

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem

FONTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'src', 'archive', 'reports', 'fonts')
SOURCE = os.path.join(FONTS, 'DejaVuSans.ttf')
TARGET = os.path.join(FONTS, 'DejaVuSans-stamp.ttf')
RANGES = ((0x20, 0x7e), (0xa0, 0x24f), (0x300, 0x36f), (0x1e00, 0x1eff),
          (0x2000, 0x206f), (0x20ab, 0x20ac), (0x2116, 0x2116))


def build(source=SOURCE, target=TARGET):
    font = TTFont(source)
    options = subset.Options()
    # No layout tables: the stamp's few lines are precomposed Vietnamese letters (harfbuzz maps
    # each to its own glyph), and reading GPOS back cost ~33 of the ~48 ms of each signature's
    # font subsetting, for kerning only.
    options.drop_tables += ['FFTM', 'GPOS', 'GSUB', 'GDEF', 'MATH']
    options.layout_features = []
    options.name_IDs = ['*']
    options.notdef_outline = True
    options.glyph_names = True
    options.hinting = False       # the instructions are not rescaled with the font: ':' drew as 'ı'
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for a, b in RANGES for c in range(a, b + 1)])
    subsetter.subset(font)
    if font['head'].unitsPerEm != 1000:
        scale_upem(font, 1000)
    font.save(target)
    return target


if __name__ == '__main__':
    print(build())
