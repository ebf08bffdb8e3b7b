const func = async () => {
    const response = await window.electronAPI.ping()
    console.log(response) // prints out 'pong'
}
func()
const information = document.getElementById('info');

information.innerText = `This app is using Chrome (v${versions.chrome()}), Node.js (v${versions.node()}), and Electron (v${versions.electron()})`;
const btn = document.getElementById('btn')
const filePathElement = document.getElementById('filePath')

btn.addEventListener('click', async () => {
    const filePath = await window.electronAPI.ping()
    filePathElement.innerText = filePath
})
