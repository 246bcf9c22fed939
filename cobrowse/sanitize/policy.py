"""Allow-lists of the replica: elements, attributes and URL-bearing attributes.

Derived from html5lib's WHATWG-derived tables (``html5lib.filters.sanitizer``) and
tightened for a live page replica built with DOM APIs (issue 4, DESIGN.md "Snapshots and
the replica"). A test checks which names we added to html5lib's lists and that every
addition is listed in one of the ``PAGE_*`` sets below with a reason.
"""

import re

#: HTML elements kept as they are: html5lib's list without the obsolete or active ones
#: (command, datagrid, event-source, keygen, m, multicol, nextid, sound, spacer, form
#: controls stay), plus :data:`PAGE_HTML_ELEMENTS`.
HTML_ELEMENTS = frozenset(
    """
a abbr acronym address area article aside audio b big blockquote br button canvas caption
center cite code col colgroup datalist dd del details dfn dialog dir div dl dt em fieldset
figcaption figure font footer form h1 h2 h3 h4 h5 h6 header hr i img input ins kbd label
legend li map menu meter nav ol optgroup option output p pre progress q s samp section select
small source span strike strong sub sup table tbody td textarea tfoot th thead time tr tt u
ul var video
""".split()
)

#: Elements html5lib's fragment-oriented list lacks but a whole page needs to look right.
PAGE_HTML_ELEMENTS = frozenset(
    """
html head body title style link main picture mark summary bdi bdo data wbr ruby rt rp rb
rtc search hgroup slot iframe
""".split()
)

#: Elements dropped with everything inside them: active, invisible or fetching things.
DROPPED_HTML_ELEMENTS = frozenset(
    """
script noscript template base meta param noembed noframes plaintext track frameset
""".split()
)

#: Non-HTML objects and embedded documents shown as a placeholder with their size.
PLACEHOLDER_HTML_ELEMENTS = frozenset("object embed applet frame portal fencedframe".split())

#: SVG elements kept (canonical case): html5lib's list without animation (animate, set,
#: animateColor/Motion/Transform, mpath), SVG fonts, plus shapes, paint servers, filters.
SVG_ELEMENTS = frozenset(
    """
a circle clipPath defs desc ellipse g line linearGradient marker mask metadata path pattern
polygon polyline radialGradient rect stop svg switch symbol text textPath title tspan use
image style view filter feBlend feColorMatrix feComponentTransfer feComposite
feConvolveMatrix feDiffuseLighting feDisplacementMap feDistantLight feDropShadow feFlood
feFuncA feFuncB feFuncG feFuncR feGaussianBlur feMerge feMergeNode feMorphology feOffset
fePointLight feSpecularLighting feSpotLight feTile feTurbulence
""".split()
)

#: MathML elements kept: html5lib's list without maction; annotation(-xml) are dropped.
MATH_ELEMENTS = frozenset(
    """
math merror mfrac mi mmultiscripts mn mo mover mpadded mphantom mprescripts mroot mrow
mspace msqrt mstyle msub msubsup msup mtable mtd mtext mtr munder munderover none semantics
""".split()
)

#: Elements that can host a shadow root (the HTML standard's list for ``attachShadow``),
#: beside autonomous custom elements. A snapshot or an ``add`` op that gives any other
#: element one is refused: a replica could not attach it and would show its content
#: inline, where the text of a ``<style>``'s "shadow root" is a style sheet (issue 10).
SHADOW_HOSTS = frozenset(
    "article aside blockquote body div footer h1 h2 h3 h4 h5 h6 header main nav p section "
    "span".split()
)

#: Lower-case name -> canonical SVG name (a tag may send lower-cased SVG names).
SVG_CASE = {name.lower(): name for name in SVG_ELEMENTS}

#: Valid custom element names (inert without their script), minus the reserved ones.
CUSTOM_ELEMENT = re.compile(r"[a-z][a-z0-9_.]*-[a-z0-9_.\-]*\Z")
RESERVED_CUSTOM = frozenset(
    "annotation-xml color-profile font-face font-face-src font-face-uri font-face-format "
    "font-face-name missing-glyph".split()
)

#: HTML attributes kept as plain text: html5lib's list without active or fetching ones
#: (accesskey, action, autofocus, contenteditable, data*, dynsrc, lowsrc, method, ping,
#: target, template, ...) and without its URL-valued ones (cite, usemap: they are in
#: :data:`HTML_URL_ATTRIBUTES`), plus :data:`PAGE_HTML_ATTRIBUTES`.
HTML_ATTRIBUTES = frozenset(
    """
abbr accept accept-charset align alt autocomplete axis bgcolor border cellpadding
cellspacing char charoff checked class clear color cols colspan compact coords datetime
dir disabled face for headers height hidden high hreflang hspace id inputmode ismap
label lang list loop low max maxlength media min multiple name nohref noshade nowrap open
optimum pattern readonly rel required rev rows rowspan rules scope selected shape size span
start step summary tabindex title type valign value vspace width wrap
""".split()
)

#: Modern or layout-relevant attributes html5lib does not list.
PAGE_HTML_ATTRIBUTES = frozenset(
    """
role slot part translate reversed playsinline muted controls placeholder minlength sizes
loading decoding frameborder scrolling enterkeyhint
""".split()
)

#: Attributes of HTML elements that hold URLs: attribute -> {element: kind}. Kinds:
#: "navigate" (any http(s) URL: only followed on a click, which the workspace intercepts),
#: "resource" (fetched: the site's resource origins only), "image" (resource or a
#: ``data:`` raster image), "srcset", "local" (``#fragment`` only). Unlisted pairs drop.
#: No name here is also a plain-text attribute (a test checks it): the URL check comes
#: first whatever the order of the tables.
HTML_URL_ATTRIBUTES = {
    "href": {"a": "navigate", "area": "navigate"},
    "src": {
        "img": "image",
        "source": "image",
        "video": "resource",
        "audio": "resource",
        "input": "image",
    },
    "srcset": {"img": "srcset", "source": "srcset"},
    "poster": {"video": "image"},
    "background": {"body": "image", "table": "image", "td": "image", "th": "image", "tr": "image"},
    "cite": {"blockquote": "navigate", "q": "navigate", "del": "navigate", "ins": "navigate"},
    "usemap": {"img": "local", "input": "local", "object": "local"},
}

#: SVG attributes kept (canonical case), without animation timing and target attributes.
SVG_ATTRIBUTES = frozenset(
    """
class id style lang tabindex transform x y x1 x2 y1 y2 cx cy r rx ry fx fy fr d points
width height viewBox preserveAspectRatio fill fill-opacity fill-rule stroke stroke-width
stroke-linecap stroke-linejoin stroke-miterlimit stroke-opacity stroke-dasharray
stroke-dashoffset opacity clip-path clip-rule clipPathUnits mask maskUnits
maskContentUnits filter filterUnits primitiveUnits marker marker-start marker-mid
marker-end markerHeight markerUnits markerWidth refX refY orient viewTarget color
color-interpolation color-interpolation-filters display visibility overflow font-family
font-size font-style font-variant font-weight text-anchor dominant-baseline
alignment-baseline baseline-shift letter-spacing word-spacing text-decoration textLength
lengthAdjust startOffset dx dy rotate offset stop-color stop-opacity gradientUnits
gradientTransform spreadMethod patternUnits patternContentUnits patternTransform
pathLength vector-effect paint-order shape-rendering text-rendering image-rendering
transform-origin in in2 result stdDeviation operator k1 k2 k3 k4 mode type values
tableValues slope intercept amplitude exponent flood-color flood-opacity lighting-color
kernelMatrix order baseFrequency numOctaves seed stitchTiles scale xChannelSelector
yChannelSelector radius surfaceScale diffuseConstant specularConstant specularExponent
azimuth elevation pointsAtX pointsAtY pointsAtZ limitingConeAngle edgeMode divisor bias
targetX targetY preserveAlpha version xml:lang xml:space role systemLanguage
""".split()
)

#: Lower-case name -> canonical SVG attribute name.
SVG_ATTRIBUTE_CASE = {name.lower(): name for name in SVG_ATTRIBUTES}

#: SVG elements whose ``href``/``xlink:href`` may point at a local ``#fragment`` only.
SVG_LOCAL_HREF = frozenset("use textPath linearGradient radialGradient pattern filter".split())

#: MathML attributes kept.
MATH_ATTRIBUTES = frozenset(
    """
class id style dir display displaystyle mathvariant mathcolor mathbackground mathsize
scriptlevel lspace rspace stretchy symmetric largeop movablelimits accent accentunder
fence separator form linethickness columnalign columnlines columnspacing rowalign rowlines
rowspacing columnspan rowspan width height depth voffset notation
""".split()
)

#: Attributes kept on masked elements (nothing that can carry what the visitor typed).
MASKED_ATTRIBUTES = frozenset(
    """
class id style type name dir lang hidden disabled readonly role width height size cols rows
colspan rowspan for tabindex autocomplete data-cobrowse-mask data-cobrowse-placeholder
""".split()
)

#: Input types kept; others (and ``type`` values that are not names) are dropped.
INPUT_TYPES = frozenset(
    """
text search email url tel number range date month week time datetime-local color checkbox
radio file submit reset button hidden image password
""".split()
)

#: Elements that carry form state (``p``).
FORM_ELEMENTS = frozenset("input textarea select option".split())

#: ``data-*`` and ``aria-*`` attributes are kept when their names are plain.
DATA_OR_ARIA = re.compile(r"(?:data-[a-z0-9_.\-]+|aria-[a-z]+)\Z")

#: What the workspace shows in place of a masked value or text (says nothing of the length).
MASK_PLACEHOLDER = "\u2022\u2022\u2022"

#: The attribute that marks a placeholder element.
PLACEHOLDER_ATTRIBUTE = "data-cobrowse-placeholder"
