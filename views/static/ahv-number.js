// The AHV number form: the number (AHVN13: 756, 9 digits, EAN-13 check digit) is checked in the
// browser before the form is sent; the server checks it again. Messages come from data-* attributes.
(function () {
  var input = document.getElementById('ahv_number');
  if (!input || !input.form) return;
  function problem(value) {
    var v = value.trim();
    if (!/^\d{13}$/.test(v) && !/^\d{3}([. ])\d{4}\1\d{4}\1\d{2}$/.test(v)) return 'format';
    var digits = v.replace(/[. ]/g, '');
    if (digits.slice(0, 3) !== '756') return 'prefix';
    var sum = 0;
    for (var i = 0; i < 12; i += 1) sum += Number(digits[i]) * (i % 2 === 0 ? 1 : 3);
    return (10 - (sum % 10)) % 10 === Number(digits[12]) ? null : 'check_digit';
  }
  input.form.addEventListener('submit', function (event) {
    var found = problem(input.value);
    var message = document.getElementById('ahv_number-error');
    if (!found) return;
    event.preventDefault();
    if (!message) {
      message = document.createElement('span');
      message.id = 'ahv_number-error';
      message.className = 'error';
      message.setAttribute('role', 'alert');
      input.parentNode.appendChild(message);
      input.setAttribute('aria-describedby', 'ahv_number-hint ahv_number-error');
    }
    message.textContent = input.getAttribute('data-problem-' + found.replace('_', '-'));
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  });
})();
