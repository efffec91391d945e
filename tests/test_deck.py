"""The story's slide deck and handout, built offline (``python -m dashboards.deck``)."""

import pytest
from matplotlib.text import Text
from PIL import Image

from dashboards import deck
from dashboards.story import ACTS, Story


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("deck")
    assert deck.main(["--out", str(out), "--size", "1920x1080"]) == 0
    return out


def test_one_slide_per_act_at_the_size_asked_for_and_a_handout(built):
    slides = sorted(built.glob("act-*.png"))
    assert [p.name for p in slides] == [f"act-{n}.png" for n in range(1, len(ACTS) + 1)]
    for path in slides:
        with Image.open(path) as image:
            assert image.size == (1920, 1080), path.name
            assert image.text["Title"] == ACTS[int(path.stem.split("-")[1]) - 1].title
    pdf = (built / "handout.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page ") == 1  # one page
    assert b"/Count 1" in pdf
    with Image.open(built / "handout.png") as image:
        assert image.size[0] < image.size[1]  # one portrait page


def _texts(fig) -> list[Text]:
    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_every_slides_words_stay_on_the_slide_and_off_the_charts():
    story = Story()
    while story.advance() is not None:
        fig = deck.slide(story, deck.SIZES["1280x720"])
        width, height = fig.get_size_inches() * fig.dpi
        assert (round(width), round(height)) == (1280, 720)
        charts_left = width * deck.WORDS_SHARE if ACTS[story.act].panels else width
        fig.canvas.draw()
        words = fig.subfigs[0].texts if fig.subfigs else fig.texts  # the words column
        assert len(words) >= 4  # title, narration, question, where we are
        for text in words:
            box, what = text.get_window_extent(), (ACTS[story.act].title, text.get_text()[:30])
            assert box.y0 >= 0 and box.y1 <= height, what
            assert box.x0 >= 0 and box.x1 <= charts_left, what


def test_the_handout_has_every_acts_title_and_what_it_showed():
    story = Story()
    while story.advance() is not None:
        pass
    fig = deck.handout(story)
    shown = " ".join(t.get_text() for t in _texts(fig)).replace("\n", " ")
    for act in ACTS:
        assert act.title in shown
    for title, point in story.recap():
        assert " ".join(point.split()) in " ".join(shown.split()), title
    width, height = fig.get_size_inches() * fig.dpi
    for text in _texts(fig):
        box = text.get_window_extent()
        assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height


def test_a_file_where_the_folder_should_be_is_one_line_and_exit_code_2(tmp_path, capsys):
    target = tmp_path / "deck"
    target.write_text("not a folder")
    assert deck.main(["--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file" in err


def test_a_slide_size_not_offered_is_one_line_and_exit_code_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        deck.main(["--out", str(tmp_path), "--size", "800x600"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'800x600'" in err and "1920x1080" in err
    assert list(tmp_path.iterdir()) == []  # nothing half-written
