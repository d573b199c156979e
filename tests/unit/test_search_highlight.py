"""Highlighting a long text (a file's text layer) reads only the stretch it shows."""
from archive.search import highlight
from archive.search.analysis import fold


def filler(n):
    """About ``n`` characters of words the queries below never match."""
    words = 'Nội dung chi tiết của văn bản được trình bày như sau '
    return (words * (n // len(words) + 1))[:n].rsplit(' ', 1)[0] + ' '


def test_a_match_deep_in_a_long_text_is_highlighted_with_its_context():
    text = filler(150_000) + 'Kết luận: bảo trì máy chủ định kỳ hằng quý. ' + filler(30_000)
    html = highlight.highlight(text, [fold('bảo'), fold('trì')])
    assert '<mark class="match term0">bảo</mark> <mark class="match term1">trì</mark>' in html
    assert 'Kết luận' in html and len(html) < 400


def test_the_fragments_come_from_the_first_stretch_that_has_a_match():
    """The richest windows of the first stretch with a match are shown, not a richer window far
    further down (reading it all took 6–9 ms for each 100,000 characters)."""
    first = filler(1_000) + 'một lần máy chủ. ' + filler(30_000)
    later = 'máy chủ, máy chủ và máy chủ dự phòng. '
    html = highlight.highlight(first + later + filler(5_000), [fold('máy'), fold('chủ')])
    assert html.count('<mark') == 2 and 'một lần' in html
    short = highlight.highlight(filler(1_000) + 'một lần máy chủ. ' + filler(2_000) + later, [fold('máy'), fold('chủ')])
    assert short.count('<mark') == 8          # a short text: its richest windows, as before


def test_stretches_cover_the_text_and_never_split_a_word():
    text = filler(70_000) + '917-TTr/VPTU ' + filler(45_000)
    stretches = list(highlight._stretches(text))
    assert ''.join(stretches) == text and len(stretches) > 5
    assert all(len(s) <= highlight.CHUNK for s in stretches)
    assert all(s.endswith((' ', '\n')) for s in stretches[:-1])


def test_a_field_saying_only_what_an_earlier_one_said_is_left_out():
    """A file's text layer repeating the abstract without its diacritics (a PDF made so) adds
    nothing: the words are shown once, as the abstract holds them; a field with more to say stays."""
    stored = {'abstract': 'Thông báo lịch tiếp công dân tháng 12', 'content': 'Thong bao lich tiep',
              'meta': 'Thông báo lịch tiếp'}
    assert [f for f, _html in highlight.fragments(stored, ['thong', 'bao'])] == ['abstract']
    stored['content'] = 'Thong bao lich tiep cong dan va lich hop giao ban thang 12'
    got = highlight.fragments(stored, ['thong', 'bao'])
    assert [f for f, _html in got] == ['abstract', 'content']
    assert got[0][1].startswith('<mark class="match term0">Thông</mark> <mark class="match term1">báo</mark>')
    # the PDF's own title line, its words all in the abstract: nothing more said
    again = {'abstract': 'Báo cáo kết quả chuyển đổi số công tác văn thư', 'content': 'Bao cao chuyen doi so'}
    assert [f for f, _html in highlight.fragments(again, ['chuyen', 'doi', 'so'])] == ['abstract']


def test_a_text_as_written_matches_as_the_folded_text_does():
    """Terms are looked for in the text as written, each letter matching any letter that folds to
    it: the same pieces, offsets and term numbers as in the folded text, for accented and capital
    letters, đ/Đ, symbols and their parts, and words that only begin like a term."""
    texts = ['Báo cáo KẾT QUẢ công tác Đảng quý I năm 2026 — “đợt 1”…',
             'Số 917-TTr/VPTU ngày 03/12/2026 của Văn phòng Thành ủy về việc bàn giao hồ sơ',
             'Nguyễn Văn A\nTTr/VPTU; báo cáo, BÁO CÁO, Bao Cao, bạo, bão, cáo-thị, baocao',
             'Quyết định về công tác văn thư, lưu trữ ở ĐẢNG ỦY các xã; ban, bàn, bạn, Ban.']
    queries = [['bao', 'cao'], ['917-ttr/vptu', '917', 'ttr', 'vptu', 'ttr/vptu'], ['dang', 'quy', 'i'],
               ['van', 'thu', 'luu', 'tru'], ['ban'], ['cao', 'cao-thi', 'thi'], ['1']]
    for words in queries:
        order, pattern, written = highlight._wanted(tuple(words))
        for text in texts:
            fast = highlight._matches(text, order, pattern, written)
            assert fast == highlight._folded_matches(text, order, pattern), (text, words)
    order, pattern, written = highlight._wanted(('bao', 'cao'))
    assert len(highlight._matches(texts[2], order, pattern, written)) == 9    # bạo, bão and cáo(-thị) too


def test_a_text_with_other_letters_is_folded_first():
    """A letter outside the Latin and Vietnamese blocks (here Cyrillic, whose capital folds to its
    small letter) or a lone combining mark sends the text the folded way: it still matches."""
    assert highlight.highlight('Отчёт ДОКЛАД', ['доклад']) == 'Отчёт <mark class="match term0">ДОКЛАД</mark>'
    assert '<mark class="match term0">bao</mark>' in highlight.highlight('ba\u0301o ca\u0301o bao', ['bao'])


def test_the_abstract_is_shown_whole_with_its_matches_marked():
    """An abstract (at most 500 characters) is one fragment, all of it: a window of ±40 characters
    cut "…giám sát năm" off "…giám sát năm 2026" (trial 9, item 18). The file text keeps its
    windows, and a longer text in the abstract's field (none is made so) too."""
    abstract = ('Báo cáo kết quả thực hiện nhiệm vụ trọng tâm của cơ quan trong năm, '
                'công tác kiểm tra, giám sát năm 2026')
    stored = {'abstract': abstract, 'content': filler(2_000) + 'kết quả công tác giám sát ' + filler(2_000)}
    got = dict(highlight.fragments(stored, [fold('giám'), fold('sát')]))
    assert got['abstract'].startswith('Báo cáo kết quả thực hiện')
    assert got['abstract'].endswith('<mark class="match term0">giám</mark> <mark class="match term1">sát</mark> năm 2026')
    assert len(got['content']) < 400 and 'kết quả công tác' in got['content']
    long = {'abstract': filler(600) + 'giám sát ' + filler(600)}
    assert len(dict(highlight.fragments(long, [fold('giám'), fold('sát')]))['abstract']) < 400
    assert highlight.fragments({'abstract': abstract}, [fold('lũ')]) == []


def test_a_window_saying_what_a_richer_one_said_is_passed_over():
    """A main file and its attachment with the same text (the file texts are joined a line
    apart): the same words are shown once (trial 9, item 18), and the next window saying something
    else is shown in its place. What the words say ±20 characters around the matches (``NEAR``)
tells two windows apart: the same words in another sentence are still shown."""
    page = 'Báo cáo thiệt hại do bão số 3 (Yagi) gây ra trên địa bàn. '
    text = page + filler(1_000) + 'Kế hoạch khắc phục hậu quả bão. ' + filler(1_000) + '\n' + page
    html = highlight.highlight(text, [fold('bão')])
    assert html.count('Yagi') == 1 and 'Kế hoạch khắc phục' in html
    assert highlight.highlight(page + filler(1_000) + '\n' + page, [fold('bão')]).count('Yagi') == 1
    other = 'Thiệt hại do bão số 3 (Yagi) tại các xã ven biển. '
    assert highlight.highlight(page + filler(1_000) + '\n' + other, [fold('bão')]).count('Yagi') == 2
