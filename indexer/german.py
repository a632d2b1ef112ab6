"""German word lists, spelling fold and number format, kept apart from Whoosh so the parser can use them too.

``STOP_WORDS`` is the Snowball project's German stop list (snowballstem.org, BSD licence) with the
post-1996 spelling ``dass`` added beside ``daß``; deliberately no English words, so ``US``, ``IT``
and ``May`` stay searchable (Whoosh's ``LanguageAnalyzer("de")`` drops them).
"""
from __future__ import annotations

import re

STOP_WORDS = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes
    anderm andern anderr anders auch auf aus bei bin bis bist da damit dann der den des dem die das
    daß dass derselbe derselben denselben desselben demselben dieselbe dieselben dasselbe dazu dein
    deine deinem deinen deiner deines denn derer dessen dich dir du dies diese diesem diesen dieser
    dieses doch dort durch ein eine einem einen einer eines einig einige einigem einigen einiger
    einiges einmal er ihn ihm es etwas euer eure eurem euren eurer eures für gegen gewesen hab habe
    haben hat hatte hatten hier hin hinter ich mich mir ihr ihre ihrem ihren ihrer ihres euch im in
    indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine
    keinem keinen keiner keines können könnte machen man manche manchem manchen mancher manches mein
    meine meinem meinen meiner meines mit muss musste nach nicht nichts noch nun nur ob oder ohne
    sehr sein seine seinem seinen seiner seines selbst sich sie ihnen sind so solche solchem solchen
    solcher solches soll sollte sondern sonst über um und uns unsere unserem unseren unser unseres
    unter viel vom von vor während war waren warst was weg weil weiter welche welchem welchen
    welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte würde würden
    zu zum zur zwar zwischen
    """.split()
)

# Words that are lower-case inside a German sentence, so written with a capital they start one.
# German capitalises every noun, which makes this the reliable sentence-start signal; the few stop
# words that are also nouns when capitalised ("Weg", "Sein", "Machen") are left out.
SENTENCE_OPENERS = (STOP_WORDS - {"weg", "sein", "machen", "hab", "ander", "anderr", "anderm"}) | frozenset(
    """
    dabei dafür dagegen daher danach darauf darum davor deshalb deswegen doch jetzt nun seit
    seitdem nachdem bereits erst zuvor zudem außerdem trotz trotzdem laut wegen bislang bisher
    inzwischen mittlerweile derzeit heute gestern morgen dort hier wer wann warum wieso weshalb
    obwohl während nach vor beim
    """.split()
)


def format_count(number: int) -> str:
    """``27149`` as ``27.149``: German groups thousands with a point, Python's ``,`` option gives
    the English comma. The one place for it, so messages, pages and the terminal agree."""
    return f"{number:,}".replace(",", ".")


_VOWELS = "aeiouyäöü"  # Snowball's German vowels
# A u or y between vowels is a consonant (``Feuer``, ``Bayer``): Snowball marks it upper-case so
# that ``ue`` after it is no umlaut. The match takes the vowel before it, so a u just marked is no
# vowel for the next one, as in Snowball (``auue``).
_CONSONANT_U = re.compile(f"([{_VOWELS}])([uy])(?=[{_VOWELS}])")
# How German is written without umlauts and ß; ``search/suggest.py`` turns them back.
DIGRAPHS = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"), ("ss", "ß"))
_DIGRAPH = re.compile("qu|ae|oe|ue")  # "qu" first: its u starts no umlaut (``Quelle``, ``quer``)
_READ_AS = {"qu": "qu", **{pair: umlaut for pair, umlaut in DIGRAPHS if pair != "ss"}}


def fold_umlauts(text: str) -> str:
    """``text`` lowered, with ä, ö, ü as a, o, u and ß as ss; ``ae``/``oe``/``ue`` stay as written.

    The first half of ``fold``; the snippet finder also looks for compound parts in this spelling,
    because a part cut from a word is folded apart from the letters beside it.
    """
    # str.translate looks each character up in a dict: four replaces are about 20x faster
    return text.lower().replace("ä", "a").replace("ö", "o").replace("ü", "u").replace("ß", "ss")


def fold(text: str) -> str:
    """``text`` spelled as the German stemmer spells it before cutting endings: the one German fold.

    Snowball's German stemmer (PyStemmer) lowers nothing itself, reads ``ae``/``oe``/``ue`` as
    umlauts (not after ``q``, and not a u between vowels as in ``Feuer``), then writes every umlaut
    without its dots and ß as ss. A stem is therefore always a prefix of the fold of its word, which
    is what a prefix query (``Praesid*``) and the snippet finder rely on; ``tests/test_german.py``
    holds the two together on tricky words.

    >>> [fold(w) for w in ("Präsident", "Praesident", "Feuer", "Quelle", "Straße", "Israel")]
    ['prasident', 'prasident', 'feuer', 'quelle', 'strasse', 'isral']
    """
    lower = text.lower()
    if "ae" in lower or "oe" in lower or "ue" in lower:
        marked = _CONSONANT_U.sub(lambda m: m.group(1) + m.group(2).upper(), lower)
        lower = _DIGRAPH.sub(lambda m: _READ_AS[m.group()], marked)
        # the marked u/y go back to lower case; the text was lowered, so no other capital is left
        lower = lower.replace("U", "u").replace("Y", "y")
    return fold_umlauts(lower)
