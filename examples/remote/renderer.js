const show = () => {
  document.getElementById('numbers').innerText = window.demo.numbers()
  document.getElementById('shared').innerText = window.demo.sharedProperty()
}
document.getElementById('open').addEventListener('click', () => {
  document.getElementById('opened').innerText = 'opened window ' + window.demo.openWindow()
})
document.getElementById('set').addEventListener('click', () => {
  window.demo.setSharedProperty(document.getElementById('value').value)
  show()
})
show()
