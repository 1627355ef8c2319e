package dev.outpost.edge;

/** Entry point of an edge or shield node. */
public final class EdgeNodeMain {

    private EdgeNodeMain() {
    }

    public static void main(String[] args) {
        System.out.println("usage: edge-node --origin URL --listen HOST:PORT --admin HOST:PORT --data-dir DIR");
    }
}
