/* The one script of the pages (no framework): on a phone the header's menu folds behind a button.
   Without this script the menu simply stays open. */
document.documentElement.classList.add('js');
document.addEventListener('DOMContentLoaded', function () {
  var button = document.querySelector('header.top .menu-toggle');
  if (!button) { return; }
  button.addEventListener('click', function () {
    var open = document.querySelector('header.top').classList.toggle('open');
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
  });
});

/* Several bodies picked by typing (the receivers of a draft): a multi-select marked
   data-typeahead becomes a text box that offers the bodies whose name or code holds what was
   typed (with or without diacritics); a pick is added as a chip with a button to remove it.
   Keyboard: arrows move in the offers, Enter picks, Escape closes, Backspace in the empty box
   removes the last chip. The select stays in the form, hidden, and is what is sent; without
   this script it is shown as it is. */
(function () {
  function fold(text) {
    return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();
  }

  function typeahead(select) {
    var options = Array.prototype.slice.call(select.options);
    var id = select.id || ('typeahead-' + Math.random().toString(36).slice(2));
    var wrap = document.createElement('div');
    var chips = document.createElement('ul');
    var input = document.createElement('input');
    var list = document.createElement('ul');
    var status = document.createElement('p');
    var offered = [];
    var active = -1;
    wrap.className = 'typeahead';
    chips.className = 'chips';
    chips.setAttribute('aria-label', select.getAttribute('data-chosen') || '');
    input.type = 'text';
    input.id = id + '-type';
    input.autocomplete = 'off';
    input.className = 'form-control';
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', id + '-offers');
    list.id = id + '-offers';
    list.className = 'offers';
    list.setAttribute('role', 'listbox');
    list.hidden = true;
    status.className = 'visually-hidden';
    status.setAttribute('aria-live', 'polite');
    var label = document.querySelector('label[for="' + select.id + '"]');
    if (label) {
      label.setAttribute('for', input.id);
      list.setAttribute('aria-label', label.textContent.trim());
    }
    var help = select.parentNode.parentNode.querySelector('.help-block');
    if (help && select.getAttribute('data-help')) {
      help.textContent = select.getAttribute('data-help');
      help.id = help.id || id + '-help';
      input.setAttribute('aria-describedby', help.id);
    }

    function drawChips() {
      chips.textContent = '';
      options.forEach(function (option) {
        if (!option.selected) { return; }
        var chip = document.createElement('li');
        var name = document.createElement('span');
        var remove = document.createElement('button');
        name.textContent = option.text;
        remove.type = 'button';
        remove.className = 'chip-remove';
        remove.textContent = '×';
        remove.setAttribute('aria-label', (select.getAttribute('data-remove') || '') + ' ' + option.text);
        remove.addEventListener('click', function () {
          option.selected = false;
          drawChips();
          status.textContent = remove.getAttribute('aria-label');
          input.focus();
        });
        chip.appendChild(name);
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      chips.hidden = !chips.children.length;
    }

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
    }

    function mark(n) {
      active = n;
      Array.prototype.forEach.call(list.children, function (li, k) {
        li.classList.toggle('active', k === n);
        li.setAttribute('aria-selected', k === n ? 'true' : 'false');
      });
      if (n >= 0 && list.children[n]) {
        input.setAttribute('aria-activedescendant', list.children[n].id);
        list.children[n].scrollIntoView({block: 'nearest'});
      }
    }

    function pick(option) {
      option.selected = true;
      input.value = '';
      close();
      drawChips();
      status.textContent = option.text;
      input.focus();
    }

    function offer() {
      var typed = fold(input.value.trim());
      list.textContent = '';
      offered = !typed ? [] : options.filter(function (option) {
        return !option.selected && fold(option.text + ' ' + option.value).indexOf(typed) >= 0;
      }).slice(0, 12);
      if (!typed) { close(); return; }
      offered.forEach(function (option, k) {
        var li = document.createElement('li');
        li.id = id + '-offer-' + k;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.setAttribute('data-value', option.value);
        li.textContent = option.text + ' · ' + option.value;
        li.addEventListener('mousedown', function (event) { event.preventDefault(); pick(option); });
        list.appendChild(li);
      });
      if (!offered.length) {
        var none = document.createElement('li');
        none.className = 'none';
        none.setAttribute('role', 'option');
        none.setAttribute('aria-disabled', 'true');
        none.setAttribute('aria-selected', 'false');
        none.textContent = select.getAttribute('data-none') || '';
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      mark(offered.length ? 0 : -1);
    }

    input.addEventListener('input', offer);
    input.addEventListener('blur', close);
    input.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        if (list.hidden) { offer(); return; }
        if (offered.length) {
          mark((active + (event.key === 'ArrowDown' ? 1 : offered.length - 1)) % offered.length);
        }
      } else if (event.key === 'Enter') {
        if (!list.hidden) {
          event.preventDefault();        // never submit the form while choosing
          if (active >= 0) { pick(offered[active]); }
        }
      } else if (event.key === 'Escape') {
        close();
      } else if (event.key === 'Backspace' && !input.value) {
        var chosen = options.filter(function (option) { return option.selected; });
        if (chosen.length) {
          chosen[chosen.length - 1].selected = false;
          drawChips();
        }
      }
    });

    select.hidden = true;
    select.tabIndex = -1;
    select.parentNode.insertBefore(wrap, select);
    wrap.appendChild(chips);
    wrap.appendChild(input);
    wrap.appendChild(list);
    wrap.appendChild(status);
    drawChips();
  }

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('select[multiple][data-typeahead]'), typeahead);
  });
})();

/* A GET form (the search, the filters of the lists and registers) sends only the fields filled
   in, so that the URL holds what was asked. Without this script the page answers the full form
   with a redirect to the same clean URL (views/filter_form.without_empty_fields). */
document.addEventListener('formdata', function (event) {
  var form = event.target;
  if ((form.getAttribute('method') || 'get').toLowerCase() !== 'get') { return; }
  var kept = [];
  event.formData.forEach(function (value, key) { if (value !== '') { kept.push([key, value]); } });
  Array.from(new Set(Array.from(event.formData.keys()))).forEach(function (key) { event.formData.delete(key); });
  kept.forEach(function (pair) { event.formData.append(pair[0], pair[1]); });
});

/* On a phone a list's rows read as cards (archive.css), where the column headers are not seen:
   each cell is given its column's header as data-title, which the phone's stylesheet writes
   before the cell's value ("Số văn bản: 1"). Without this script the cards show the values only. */
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('table.list').forEach(function (table) {
    var heads = Array.from(table.querySelectorAll('thead th')).map(function (th) { return th.textContent.trim(); });
    table.querySelectorAll('tbody tr').forEach(function (row) {
      Array.from(row.children).forEach(function (cell, i) {
        if (cell.tagName === 'TD' && !cell.hasAttribute('colspan') && heads[i] && !cell.hasAttribute('data-title')) {
          cell.setAttribute('data-title', heads[i]);
        }
      });
    });
  });
});

/* The document page's PDF is not loaded with the page (data-src): on a wide screen it is loaded at
   once; on a phone a button loads it when asked, the file's size beside it. "Xem" beside a file
   loads it into the same frame either way. */
document.addEventListener('DOMContentLoaded', function () {
  var frame = document.querySelector('iframe.pdf-view[data-src]');
  if (!frame) { return; }
  var asked = document.querySelector('[data-pdf-load]');
  function load() {
    if (!frame.getAttribute('src')) { frame.setAttribute('src', frame.getAttribute('data-src')); }
    if (asked) { asked.hidden = true; }
  }
  if (window.matchMedia('(max-width: 760px)').matches && asked) {
    asked.hidden = false;
    asked.querySelector('button').addEventListener('click', load);
    document.querySelectorAll('a.view-file').forEach(function (link) {
      link.addEventListener('click', function () { asked.hidden = true; });
    });
  } else {
    load();
  }
});

/* A list's filters fold on a phone (a <details> sent open, for wide screens and for pages without
   scripts): closed there unless a filter is in use, so that the list comes first. */
document.addEventListener('DOMContentLoaded', function () {
  if (!window.matchMedia('(max-width: 760px)').matches) { return; }
  document.querySelectorAll('details[data-fold-on-phone]').forEach(function (details) {
    if (!details.hasAttribute('data-active')) { details.open = false; }
  });
});

/* A file over the upload limit is refused as it is picked (the input's data-max-bytes, and
   data-too-large: the server's own message, "%s" for the file's name), not after a long upload
   the server refuses anyway. The browser then keeps the form from being sent and says why;
   without this script the server's refusal stands alone. */
document.addEventListener('change', function (event) {
  var input = event.target;
  if (!input.matches || !input.matches('input[type=file][data-max-bytes]')) { return; }
  var max = Number(input.getAttribute('data-max-bytes'));
  var over = Array.prototype.filter.call(input.files || [], function (f) { return f.size > max; });
  input.setCustomValidity(over.length ? input.getAttribute('data-too-large').replace('%s', over[0].name) : '');
  if (over.length) { input.reportValidity(); }
});
