// The chat page at `/chat` (to be built).
import { render } from 'preact';

render(<p>Chat</p>, document.getElementById('app')!);
