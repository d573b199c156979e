"""How a setting's text becomes a typed value (``settings.load``): each parser names the setting
in the ``ValueError`` that stops the start, so an operator reads which line of the .ini is wrong."""
import re


def lines(value):
    return [line.strip() for line in (value or '').splitlines() if line.strip()]


def truthy(value):
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on')


def text(value):
    return (value or '').strip()


def or_default(value, default):
    """The value, or the default when the .ini leaves it absent or empty."""
    return default if value is None or str(value).strip() == '' else value


def flag(value, default, name):
    """true/false (also yes/no, on/off, 1/0, t/f, y/n); the default when absent or empty."""
    text = str(or_default(value, default)).strip().lower()
    if text in ('1', 'true', 'yes', 'on', 't', 'y'):
        return True
    if text in ('0', 'false', 'no', 'off', 'f', 'n'):
        return False
    raise ValueError(f'{name}: true or false, not {value!r}')


def number(value, default, name, above=None):
    """A number (fractions allowed), 0 or more (more than ``above`` when given); the default when
    absent or empty."""
    value = or_default(value, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if number < 0 or number != number or (above is not None and number <= above):
        raise ValueError(f'{name}: a number, {"more than " + str(above) if above is not None else "0 or more"}, '
                         f'not {value!r}')
    return number


def at_least(value, low, name):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < low:
        raise ValueError(f'{name}: a whole number of at least {low}, not {value!r}')
    return number


def power_of_two(value, name):
    number = at_least(value, 2, name)
    if number & (number - 1):
        raise ValueError(f'{name}: a power of two (32768 = 2^15), not {value!r}')
    return number


def positive(value, name):
    return at_least(value, 1, name)


def url(value, name):
    value = (value or '').strip()
    if value and not re.match(r'^https?://[^\s/]+', value):
        raise ValueError(f'{name}: an http:// or https:// address, not {value!r}')
    return value


def choice(value, choices, name):
    value = value.strip().lower()
    if value not in choices:
        raise ValueError(f'{name}: one of {", ".join(choices)}, not {value!r}')
    return value
