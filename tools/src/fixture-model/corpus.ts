/**
 * Training text of the fixture model's character n-gram language model: plain factual English
 * sentences written for this project, one per line. Each line is a document ended by EOS.
 * Changing this text changes every logprob the fixture returns; tests only rely on relative
 * properties (plausible text scores higher than noise), never on exact values.
 */
export const CORPUS = `The Earth orbits the Sun once every year.
The Moon orbits the Earth about once every month.
The Sun is a star at the centre of our solar system.
The Sun gives the Earth light and heat.
Plants need sunlight, water and air to make their food.
Plants make food from sunlight in their leaves.
Green plants use sunlight to turn water and carbon dioxide into sugar and oxygen.
Animals breathe in oxygen and breathe out carbon dioxide.
Water boils at one hundred degrees Celsius at sea level.
Water freezes at zero degrees Celsius and becomes ice.
Ice melts when it is warmed and becomes water again.
When water is heated it evaporates and becomes water vapour.
Clouds form when water vapour cools and condenses into small drops.
Rain falls from clouds when the drops become heavy.
A whale is a large mammal that lives in the ocean.
A whale breathes air through a blowhole on the top of its head.
Fish live in water and breathe with gills.
Birds have feathers, and most birds can fly.
A bat is a mammal that can fly.
Mammals feed their young with milk.
Frogs lay their eggs in water.
A caterpillar changes into a butterfly.
Bees carry pollen from flower to flower.
Flowers make seeds, and seeds grow into new plants.
Roots take in water from the soil.
Trees give us wood, fruit and shade.
The heart pumps blood around the body.
The lungs take in air when we breathe.
The brain controls the body and helps us think.
Bones give the body its shape and protect the organs.
Muscles move the bones of the body.
We see with our eyes and hear with our ears.
The skin protects the body from germs.
Healthy food, clean water and sleep help the body grow.
A magnet attracts iron and steel.
A magnet has a north pole and a south pole.
Metals are good conductors of heat and electricity.
Wood and plastic are poor conductors of electricity.
Electricity flows through a closed circuit.
A battery stores energy and makes electricity flow.
Light travels faster than sound.
Sound travels as a wave through air, water and solids.
A thermometer measures temperature.
A ruler measures length, and a scale measures weight.
A clock measures time.
Gravity pulls objects toward the Earth.
Gravity keeps the Moon in orbit around the Earth.
Friction slows down moving objects.
A force can push or pull an object.
The Earth turns on its axis once every day.
Day and night happen because the Earth turns.
The seasons change because the Earth is tilted on its axis.
Summer is warm and winter is cold.
The Earth has one moon, and Mars has two small moons.
Mars is called the red planet.
Jupiter is the largest planet in our solar system.
Mercury is the planet closest to the Sun.
There are eight planets in our solar system.
The stars we see at night are very far away.
A year has twelve months and a week has seven days.
A day has twenty four hours, and an hour has sixty minutes.
The ocean is salty, but the water in most rivers is fresh.
Rivers flow from the mountains down to the sea.
Mountains are high land, and valleys are low land between them.
A desert gets very little rain.
A rainforest gets a lot of rain and has many kinds of plants and animals.
Volcanoes can erupt and send out hot melted rock called lava.
Earthquakes shake the ground.
Rocks slowly break into soil because of wind and water.
Fossils are the remains of plants and animals that lived long ago.
Dinosaurs lived on the Earth millions of years ago.
Coal, oil and gas are fossil fuels.
Wind and sunlight are renewable sources of energy.
Recycling paper, glass and metal saves resources.
Air is a mixture of gases, mostly nitrogen and oxygen.
Matter can be a solid, a liquid or a gas.
A solid has its own shape, and a liquid takes the shape of its container.
A gas spreads out to fill its container.
Salt dissolves in water, but sand does not.
Iron rusts when it is left in water and air.
Paris is the capital of France.
London is the capital of the United Kingdom.
Rome is the capital of Italy.
Tokyo is the capital of Japan.
The Nile is a long river in Africa.
The Pacific is the largest ocean on the Earth.
Mount Everest is the highest mountain on the Earth.
There are seven continents on the Earth.
Doctors help sick people get well.
Farmers grow food, and bakers bake bread.
A library is a place where people borrow books.
We use a map to find our way.
A compass needle points north.
The first Super Bowl was played on January 15, 1967.
The telephone was invented in the nineteenth century.
People use computers to write, count and send messages.
A computer program is a list of instructions.
Two plus two is four, and ten minus three is seven.
A triangle has three sides, and a square has four sides.
A circle is round and has no corners.
Red, yellow and blue are primary colours.
Mixing blue and yellow makes green.
The sky looks blue on a clear day.
Snow falls when the air is very cold.
A rainbow appears when sunlight shines through drops of rain.
Good evaluation uses clear questions and honest answers.
The answer is correct when it matches the reference.
The context supports the answer when the facts agree.
Question: What does the Earth orbit?
Answer: The Earth orbits the Sun.
Question: What do plants need to make food?
Answer: Plants need sunlight, water and air.
Question: At what temperature does water freeze?
Answer: Water freezes at zero degrees Celsius.
Question: Which animal is a large mammal that lives in the ocean?
Answer: A whale.
Question: What is the capital of France?
Answer: Paris is the capital of France.
`;

/**
 * The corpus as documents: each non-empty line, except that a `Question:` line and the
 * `Answer:` line after it form one document joined by a newline (the shape of QA prompts).
 */
export function corpusDocuments(text: string = CORPUS): string[] {
  const lines = text.split('\n').filter((line) => line.trim().length > 0);
  const docs: string[] = [];
  for (const line of lines) {
    const prev = docs[docs.length - 1];
    if (line.startsWith('Answer:') && prev !== undefined && prev.startsWith('Question:')) {
      docs[docs.length - 1] = `${prev}\n${line}`;
    } else {
      docs.push(line);
    }
  }
  return docs;
}
