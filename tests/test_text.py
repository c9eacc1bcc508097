import pytest

from papertide.papers.text import (
    author_key,
    decode_tex_accents,
    extract_code_url,
    extract_project_url,
    split_authors,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (r"V\'aclav Vavry\v{c}uk", "Václav Vavryčuk"),
        (r"Serdar Kad{\i}o\u{g}lu", "Serdar Kadıoğlu"),
        (r"Przemys{\l}aw \.Zygierewicz", "Przemysław Żygierewicz"),
        (r"Gu{\dh}mundur Stef\'ansson", "Guðmundur Stefánsson"),
        (r"Alejandro D\'\i az", "Alejandro Díaz"),
        (r"Luis Mendon\c{c}a", "Luis Mendonça"),
        (r'Adam Lundstr\"om', "Adam Lundström"),
    ],
)
def test_tex_accents_in_names_become_unicode(raw, expected):
    assert decode_tex_accents(raw) == expected


def test_math_is_left_for_the_math_renderer():
    text = r"Schr\"odinger operators with $\ddot{x} = \"a \cdot b$"
    assert decode_tex_accents(text) == r"Schrödinger operators with $\ddot{x} = \"a \cdot b$"


def test_affiliations_with_commas_do_not_split_an_author():
    raw = (
        "Aleteia Araujo (University of Brasilia Brazil, The University of Melbourne Australia), "
        "Breno Costa (University of Brasilia Brazil)"
    )
    assert split_authors(raw) == ["Aleteia Araujo", "Breno Costa"]


def test_a_final_and_separates_authors_as_the_kaggle_dump_writes_them():
    assert split_authors("A. Smith, B. Jones and C.-P. Yuan") == ["A. Smith", "B. Jones", "C.-P. Yuan"]


def test_author_key_ignores_case_accents_and_punctuation():
    assert author_key("Jörg F. Unger") == author_key("jorg f unger")


@pytest.mark.parametrize(
    "abstract, code_url",
    [
        ("The code is available at https://github.com/itsmag11/Omegance.", "https://github.com/itsmag11/Omegance"),
        (r"source code at \url{https://github.com/ch9397/FixedWing-MonoPPO}.", "https://github.com/ch9397/FixedWing-MonoPPO"),
        (r"\footnote{\texttt{https://github.com/JokerJohn/Cloud\_Map\_Evaluation}}", "https://github.com/JokerJohn/Cloud_Map_Evaluation"),
        ("available in: https://github.com/mandiehyewon/goodviews_ecg.git", "https://github.com/mandiehyewon/goodviews_ecg"),
        ("ACSP-FL (https://github.com/AllanMSouza/ACSP-FL/tree/main/src), a", "https://github.com/AllanMSouza/ACSP-FL"),
        ("The SPARC-X project (https://github.com/SPARC-X) is an organisation, not a repository.", ""),
        ("No code here, only https://doi.org/10.34735/ped.2024.2.", ""),
    ],
)
def test_code_links_are_found_in_real_abstract_phrasings(abstract, code_url):
    assert extract_code_url(abstract) == code_url


@pytest.mark.parametrize(
    "abstract, project_url",
    [
        ("The project page is https://rayjryang.github.io/LayerDecomp.", "https://rayjryang.github.io/LayerDecomp"),
        ("Project page at https://sites.google.com/view/pad-paper", "https://sites.google.com/view/pad-paper"),
        ("The code is available at https://github.com/itsmag11/Omegance.", ""),
        ("Data are available at https://zenodo.org/records/1234.", ""),
    ],
)
def test_project_pages_are_recognised(abstract, project_url):
    assert extract_project_url(abstract) == project_url


def test_shorten_cuts_at_a_word_and_never_inside_a_short_text():
    from papertide.papers.text import shorten

    assert shorten("short enough", 20) == "short enough"
    assert shorten("We derive the frequencies of hot Jupiters, with periods", 30) == "We derive the frequencies of…"
    assert shorten("x" * 50, 20) == "x" * 20 + "…"  # one long word: cut where the limit is
