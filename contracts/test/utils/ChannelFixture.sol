// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {ChannelFactory} from "../../src/ChannelFactory.sol";
import {TestToken} from "../../src/TestToken.sol";
import {TransferRegistry} from "../../src/TransferRegistry.sol";
import {ChannelMastercopy} from "../../src/channel/ChannelMastercopy.sol";
import {IChannelMastercopy} from "../../src/interfaces/IChannelMastercopy.sol";
import {Balance, CoreChannelState, CoreTransferState, WithdrawData} from "../../src/interfaces/Types.sol";
import {HashlockTransfer} from "../../src/transfers/HashlockTransfer.sol";
import {Withdraw} from "../../src/transfers/Withdraw.sol";

/// @title ChannelFixture
/// @notice The deployed system every contract test starts from: mastercopy, factory, registry
/// with both definitions, a test token, and one channel between `alice` (node) and `bob` (user).
/// Also builds and signs the objects the channel checks.
abstract contract ChannelFixture is Test {
    ChannelMastercopy internal mastercopy;
    ChannelFactory internal factory;
    TransferRegistry internal registry;
    HashlockTransfer internal hashlock;
    Withdraw internal withdrawDefinition;
    TestToken internal token;
    IChannelMastercopy internal channel;

    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;
    address internal owner = makeAddr("owner");

    address internal constant ETH = address(0);
    uint256 internal constant TIMEOUT = 1 days;

    function setUp() public virtual {
        (alice, aliceKey) = makeAddrAndKey("alice");
        (bob, bobKey) = makeAddrAndKey("bob");

        mastercopy = new ChannelMastercopy();
        factory = new ChannelFactory(address(mastercopy));
        hashlock = new HashlockTransfer();
        withdrawDefinition = new Withdraw();
        registry = new TransferRegistry(owner);
        vm.startPrank(owner);
        registry.addTransferDefinition(hashlock.getRegistryInformation());
        registry.addTransferDefinition(withdrawDefinition.getRegistryInformation());
        vm.stopPrank();
        token = new TestToken("Test Token", "TST");

        channel = IChannelMastercopy(payable(factory.createChannel(alice, bob)));
        vm.label(address(channel), "channel");
    }

    // ---------------------------------------------------------------- funding

    /// @dev Alice deposits `amount` of `assetId` through `depositAlice`.
    function depositAlice(address assetId, uint256 amount) internal {
        if (assetId == ETH) {
            vm.deal(alice, alice.balance + amount);
            vm.prank(alice);
            channel.depositAlice{value: amount}(ETH, amount);
        } else {
            TestToken(assetId).mint(alice, amount);
            vm.startPrank(alice);
            TestToken(assetId).approve(address(channel), amount);
            channel.depositAlice(assetId, amount);
            vm.stopPrank();
        }
    }

    /// @dev Bob deposits `amount` of `assetId` with a plain transfer to the channel.
    function depositBob(address assetId, uint256 amount) internal {
        if (assetId == ETH) {
            vm.deal(bob, bob.balance + amount);
            vm.prank(bob);
            (bool ok,) = address(channel).call{value: amount}("");
            require(ok, "bob deposit failed");
        } else {
            TestToken(assetId).mint(bob, amount);
            vm.prank(bob);
            TestToken(assetId).transfer(address(channel), amount);
        }
    }

    // ---------------------------------------------------------------- states

    function balanceOf(address assetId, address who) internal view returns (uint256) {
        return assetId == ETH ? who.balance : token.balanceOf(who);
    }

    function twoParty(address payable a, address payable b, uint256 amountA, uint256 amountB)
        internal
        pure
        returns (Balance memory balance)
    {
        balance.to = [a, b];
        balance.amount = [amountA, amountB];
    }

    /// @dev A one-asset state of `channel` with the given balances, all deposits processed.
    function singleAssetState(address assetId, uint256 aliceAmount, uint256 bobAmount, uint256 nonce)
        internal
        view
        returns (CoreChannelState memory ccs)
    {
        ccs.channelAddress = address(channel);
        ccs.alice = alice;
        ccs.bob = bob;
        ccs.assetIds = new address[](1);
        ccs.assetIds[0] = assetId;
        ccs.balances = new Balance[](1);
        ccs.balances[0] = twoParty(payable(alice), payable(bob), aliceAmount, bobAmount);
        ccs.processedDepositsA = new uint256[](1);
        ccs.processedDepositsA[0] = channel.getTotalDepositsAlice(assetId);
        ccs.processedDepositsB = new uint256[](1);
        ccs.processedDepositsB[0] = channel.getTotalDepositsBob(assetId);
        ccs.defundNonces = new uint256[](1);
        ccs.defundNonces[0] = 1;
        ccs.timeout = TIMEOUT;
        ccs.nonce = nonce;
    }

    // ---------------------------------------------------------------- signatures

    function sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function signState(uint256 key, CoreChannelState memory ccs) internal view returns (bytes memory) {
        return sign(key, channel.channelStateDigest(ccs));
    }

    function signWithdraw(uint256 key, WithdrawData memory wd) internal view returns (bytes memory) {
        return sign(key, channel.withdrawDigest(wd));
    }

    /// @dev Records `ccs` as the dispute, signed by both parties, and moves into its defund window.
    function disputeAndEnterDefund(CoreChannelState memory ccs) internal {
        channel.disputeChannel(ccs, signState(aliceKey, ccs), signState(bobKey, ccs));
        vm.warp(channel.getChannelDispute().consensusExpiry);
    }

    // ---------------------------------------------------------------- transfers

    /// @dev A hashlock transfer from `initiator` to `responder` in `channel`.
    function hashlockTransfer(
        bytes32 transferId,
        address initiator,
        address responder,
        address assetId,
        uint256 amount,
        bytes32 preImage,
        uint256 expiry
    ) internal view returns (CoreTransferState memory cts, bytes memory encodedState) {
        encodedState = abi.encode(
            HashlockTransfer.HashlockState({lockHash: sha256(abi.encode(preImage)), expiry: expiry})
        );
        cts = CoreTransferState({
            channelAddress: address(channel),
            transferId: transferId,
            transferDefinition: address(hashlock),
            initiator: initiator,
            responder: responder,
            assetId: assetId,
            balance: twoParty(payable(initiator), payable(responder), amount, 0),
            transferTimeout: TIMEOUT,
            initialStateHash: keccak256(encodedState)
        });
    }
}
