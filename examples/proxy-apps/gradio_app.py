# A Gradio app behind hubauth-proxy. Gradio reads its port from
# GRADIO_SERVER_PORT and its base path from GRADIO_ROOT_PATH (without a
# trailing slash); a submitted name goes through Gradio's queue.
import gradio as gr


def greet(name, request: gr.Request):
    user = request.headers.get("x-forwarded-user", "nobody")
    return f"Hello {name}, from {user}'s Gradio app!"


with gr.Blocks(title="Gradio behind the hub") as demo:
    name = gr.Textbox(label="Name", elem_id="name")
    greeting = gr.Textbox(label="Greeting", elem_id="greeting")
    gr.Button("Greet", elem_id="greet").click(greet, inputs=name, outputs=greeting)

if __name__ == "__main__":
    demo.launch()
